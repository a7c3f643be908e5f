"""Named SQL queries, loaded from the .sql files in couvert/queries/.

Each file holds blocks that start with `-- name: query_name`; parameters are `%(name)s`.  All SQL
the functions run lives there, so it can be read, reviewed and explained in one place.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_QUERY_DIR = Path(__file__).with_name("queries")
_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


@cache
def _all_queries() -> dict[str, str]:
    queries: dict[str, str] = {}
    for path in sorted(_QUERY_DIR.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        parts = _NAME.split(text)
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            if name in queries:
                raise RuntimeError(f"query {name!r} is defined twice ({path.name})")
            queries[name] = body.strip()
    return queries


def query(name: str) -> str:
    """The SQL text of a named query (KeyError names the query when it does not exist)."""
    try:
        return _all_queries()[name]
    except KeyError:
        raise KeyError(f"no SQL query named {name!r} in {_QUERY_DIR}") from None
