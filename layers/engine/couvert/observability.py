"""Logging, tracing and metrics shared by every function, HTTP or not (the scheduled function
imports this without the HTTP resolver)."""

from __future__ import annotations

import traceback
from typing import Any

import psycopg
from aws_lambda_powertools import Logger, Metrics, Tracer

from couvert.db_errors import loggable


class _LazyXRayRecorder:
    """The X-Ray recorder, imported on first use instead of at module import.

    Importing aws_xray_sdk.core pulls in botocore (~170 ms), which would put every function over
    its cold-start budget and break check_availability's promise not to load the AWS SDK.  The
    first traced invocation pays for it once per execution environment instead.
    """

    _recorder = None

    def _load(self):
        if self._recorder is None:
            from aws_xray_sdk.core import patch, patch_all, xray_recorder

            xray_recorder.configure(streaming_threshold=0)  # what Tracer does for its own provider
            xray_recorder.patch, xray_recorder.patch_all = patch, patch_all
            type(self)._recorder = xray_recorder
        return self._recorder

    def __getattr__(self, name: str):
        return getattr(self._load(), name)


logger = Logger(service="couvert")
# auto_patch off: psycopg 3 has no X-Ray patcher and patching at import would load the SDK.
tracer = Tracer(service="couvert", provider=_LazyXRayRecorder(), auto_patch=False)
metrics = Metrics(namespace="Couvert", service="couvert")


def log_failure(message: str, error: BaseException, **keys: Any) -> None:
    """An unexpected failure, with its stack.  Of a database error only what failed and where is
    logged: its text can quote the values of a row (a guest's name, e-mail, phone)."""
    if isinstance(error, psycopg.Error):
        logger.error(message, extra={**keys, **loggable(error),
                                     "stack": "".join(traceback.format_tb(error.__traceback__))})
    else:
        logger.error(message, extra=keys, exc_info=error)

