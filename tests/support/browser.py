"""The pages in a real browser: the development server in this process (the real handlers, the test's
database), Debian's Chromium through Playwright, axe-core for accessibility, screenshots under
build/screenshots/."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from couvert_dev.devserver import make_handler, read_routes

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
AXE_SCRIPT = ROOT / "build" / "npm" / "node_modules" / "axe-core" / "axe.min.js"  # `make axe` (pinned there)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu"]


@contextmanager
def dev_server(info: dict[str, Any]) -> Iterator[str]:
    """The development server (pages, /dev routes and every route of template.yaml) on a free port."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(read_routes(), info))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Chromium is installed by `make test` (Debian package chromium)"
    return path


@contextmanager
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            yield instance
        finally:
            instance.close()


def watch_errors(page) -> list[str]:
    """Script errors on the page, collected for the test to assert there were none."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def axe_script() -> Path:
    """axe-core from npm, installed by `make axe` when missing (`make test` does it beforehand)."""
    if not AXE_SCRIPT.exists():
        if shutil.which("npm") is None:
            pytest.skip("ACCESSIBILITY NOT CHECKED: npm is missing, so axe-core cannot be installed")
        subprocess.run(["make", "--no-print-directory", "axe"], cwd=ROOT, check=True, timeout=300)
    return AXE_SCRIPT


def axe_violations(page) -> list[str]:
    """What axe-core (WCAG 2.x A and AA rules) finds serious or critical on the page as it stands."""
    page.add_script_tag(path=str(axe_script()))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
                           .map(v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).join(', ')})`);
    }""")
    return result
