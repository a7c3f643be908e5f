"""The dev tooling's named SQL (migrations bookkeeping, location config), kept beside it."""

from __future__ import annotations

from pathlib import Path

from couvert.queries import QueryBook

query = QueryBook(Path(__file__).with_name("queries"))
