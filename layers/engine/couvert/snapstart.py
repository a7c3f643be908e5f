"""Lambda SnapStart runtime hooks (template.yaml: SnapStart on published versions).

With SnapStart, Lambda runs a function's init once when a version is published, snapshots the
execution environment's memory, and resumes every new environment from that snapshot, possibly
days later and many times over.  Whatever the snapshot holds is then shared and stale:

* before the snapshot, what a function loads on first use and its requests need (its HTTP models,
  Powertools' validation of its routes, the guest's e-mail check where it takes a guest) is built,
  so that no restored environment pays for it again;
* before the snapshot, the execution environment's database connections are closed: a socket
  frozen into a snapshot would be resumed by many environments at once, long after the server (or
  RDS Proxy) dropped it;
* after a restore, connections are dropped again (whatever opened one between the hook and the
  snapshot), and so are cached secrets: the database login and the Stripe keys are read afresh,
  since they may have been rotated since the snapshot.  The next request connects anew.

The hooks are registered through snapshot_restore_py, which only the Lambda Python runtime
provides: elsewhere (tests, the dev server, the benchmarks) registering does nothing.  Every
function imports this module through couvert.db, so the runtime finds the hooks.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable

# What a module loads on first use that its function's requests need: run before the snapshot, so
# that a restored environment has it loaded (without SnapStart, the first request that needs it).
_PRIMERS: list[Callable[[], object]] = []


def prime_before_snapshot(primer: Callable[[], object]) -> None:
    _PRIMERS.append(primer)


def drop_cached_secrets() -> None:
    """Forget secrets read from Secrets Manager and the clients built from them."""
    parameters = sys.modules.get("aws_lambda_powertools.utilities.parameters")
    if parameters is not None:  # loaded only where a secret was read: nothing to clear otherwise
        parameters.clear_caches()
    payments = sys.modules.get("couvert.payments")
    if payments is not None:
        payments.reset_payments()


def before_snapshot() -> None:
    from couvert.db import close_connections
    from couvert.memory import settle_after_init

    try:
        for primer in _PRIMERS:
            primer()
        gc.collect()  # what the primers left behind (at init a collection finds next to nothing)
        settle_after_init()  # and what they built, out of the collector's way too
    finally:
        close_connections()  # whatever happens above, no socket goes into the snapshot


def after_restore() -> None:
    from couvert.db import close_connections

    close_connections()
    drop_cached_secrets()


def register() -> bool:
    """Register the hooks with the Lambda runtime; False where there is no SnapStart runtime."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True


REGISTERED = register()
