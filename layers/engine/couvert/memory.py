"""The execution environment's memory between requests: what init built is kept out of the cyclic
garbage collector's way (bench/README.md, "Fourth pass").

Init builds some hundred thousand objects (modules, pydantic's schemas, Powertools' routes) that live
as long as the environment; the collector's older generations walked them all again and again, and
a booking spent about a quarter of a millisecond of its handler's CPU in the collector.  A request
makes a few thousand objects that reference counting frees as it goes, so the first generation's
threshold is raised: fewer passes, each over what actually survived.
"""

from __future__ import annotations

import gc

FIRST_GENERATION_THRESHOLD = 10_000  # Python's default is 700


def settle_after_init() -> None:
    """Called at the end of each function's init, and before a SnapStart snapshot: every object that
    exists now moves to the collector's permanent generation (gc.freeze), which it never walks.  No
    collection first at init: one found 29 unreachable objects at the end of create_reservation's
    import and took 26 ms of its cold start."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(FIRST_GENERATION_THRESHOLD, older, oldest)
