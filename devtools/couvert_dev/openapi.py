"""The OpenAPI document, generated from the functions' routes (development tool).

Each function's resolver describes its own routes; this merges them into one document, written
into the layer (couvert/openapi.json) so the check_availability function can serve it at
/openapi.json without importing the other functions or this tooling.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FUNCTIONS = ("check_availability", "create_reservation", "transition_status", "stripe_webhook")
DOCUMENT = Path(__file__).resolve().parents[2] / "layers" / "engine" / "couvert" / "openapi.json"


def build_openapi() -> dict[str, Any]:
    from couvert_dev.devserver import ROOT, load_function

    # The functions check their configuration at import; describing routes connects to nothing.
    os.environ.setdefault("DATABASE_URL", "postgresql:///openapi-generation-connects-to-nothing")

    merged: dict[str, Any] | None = None
    for name in FUNCTIONS:
        app = load_function(ROOT / "functions" / name).app
        doc = json.loads(app.get_openapi_json_schema(title="Couvert API", version="1.0.0"))
        if merged is None:
            merged = doc
            merged.setdefault("components", {}).setdefault("schemas", {})
            continue
        for path, operations in doc.get("paths", {}).items():
            merged["paths"].setdefault(path, {}).update(operations)
        merged["components"]["schemas"].update(doc.get("components", {}).get("schemas", {}))
    assert merged is not None
    merged["info"]["description"] = "Restaurant reservation core (see docs/api.md)."
    return merged


def write_openapi() -> Path:
    DOCUMENT.write_text(json.dumps(build_openapi(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return DOCUMENT
