"""The base of every HTTP body and answer model (the `*_models.py` and `*_responses.py` modules).

A pydantic model builds its validator and serializer when its class is made: a millisecond or so
each, some forty models in the larger functions, at every cold start, for routes most environments
never serve.  These models build on first use instead (`defer_build`), and every one a function
loaded is built before a SnapStart snapshot, so that a restored environment has them all ready;
without SnapStart, an environment's first request builds what its route needs.

The model modules do without `from __future__ import annotations`: with it, pydantic evaluates every
field's annotation from its string when the class is made, about a third of what making the class
costs (annotations that name a class defined later in the module are quoted instead).
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from couvert import snapstart


class Shape(BaseModel):
    model_config = ConfigDict(defer_build=True)


def _is_none(value: Any) -> bool:
    return value is None


def omitted_when_none() -> Any:
    """An optional part of a body that is left out when absent ({"received": true}, not "duplicate":
    null).  A field's own rule rather than a model serializer: `model_serializer` loads a module of
    pydantic's that builds dataclasses at import, a millisecond and a half of every function's cold
    start (bench/README.md, B7)."""
    return Field(None, exclude_if=_is_none)


def _every_shape(cls: type[Shape] = Shape):
    for sub in cls.__subclasses__():
        yield sub
        yield from _every_shape(sub)


def build_every_shape() -> None:
    """Build every model defined so far (the function's own: a function imports only its routes')."""
    for shape in _every_shape():
        shape.model_rebuild()


snapstart.prime_before_snapshot(build_every_shape)
