"""Named SQL queries, loaded from the .sql files in couvert/queries/.

Each file holds blocks that start with `-- name: query_name`; parameters are `%(name)s`.  All SQL
the functions run lives there, so it can be read, reviewed and explained in one place.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


class QueryBook:
    """The named queries of every .sql file in one folder, read once."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @cached_property
    def _queries(self) -> dict[str, str]:
        queries: dict[str, str] = {}
        for path in sorted(self.directory.glob("*.sql")):
            parts = _NAME.split(path.read_text(encoding="utf-8"))
            for name, body in zip(parts[1::2], parts[2::2], strict=True):
                if name in queries:
                    raise RuntimeError(f"query {name!r} is defined twice ({path.name})")
                queries[name] = body.strip()
        return queries

    def __call__(self, name: str) -> str:
        """The SQL text of a named query (KeyError names the query when it does not exist)."""
        try:
            return self._queries[name]
        except KeyError:
            raise KeyError(f"no SQL query named {name!r} in {self.directory}") from None


query = QueryBook(Path(__file__).with_name("queries"))
