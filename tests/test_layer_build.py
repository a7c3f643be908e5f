"""The engine layer's build (layers/engine/Makefile, which `sam build` runs) ships our package with its
bytecode, and a function imports from that bytecode without reading one line of source: Lambda cannot
write bytecode into a layer, so a module shipped as source alone is compiled at every cold start.

The step that installs the pinned arm64 wheels needs PyPI and a Python 3.12 and is not run here; the
steps that copy and compile the package are the ones run below, with this interpreter, on a copy of
the layer's directory."""

import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

from tests.support import ROOT

UNCHECKED_HASH = 0b01  # PEP 552: hash-based, source not checked
TAG = sys.implementation.cache_tag
STRAY = f"stray.{'cpython-00' if TAG != 'cpython-00' else 'cpython-01'}.pyc"  # another Python's
# What a building machine may have set, and the build must not follow (bytecode elsewhere, or .opt-1 only).
HOSTILE = {"PYTHONPYCACHEPREFIX": "/nonexistent/pycache", "PYTHONOPTIMIZE": "1"}


def _make(layer, *targets, env=None, **variables):
    return subprocess.run(["make", "--no-print-directory", "-s", "-C", str(layer), *targets,
                           *(f"{k}={v}" for k, v in variables.items())],
                          capture_output=True, text=True, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def layer(tmp_path_factory):
    """A copy of layers/engine, with bytecode of another Python left in its package."""
    copy = tmp_path_factory.mktemp("src") / "engine"
    shutil.copytree(ROOT / "layers" / "engine", copy, ignore=shutil.ignore_patterns("__pycache__", "certs"))
    (copy / "couvert" / "__pycache__").mkdir()
    (copy / "couvert" / "__pycache__" / STRAY).write_bytes(b"not bytecode")
    return copy


@pytest.fixture(scope="module")
def built(layer, tmp_path_factory):
    artifacts = tmp_path_factory.mktemp("layer")
    result = _make(layer, "package", "bytecode", env=HOSTILE, ARTIFACTS_DIR=artifacts, PYTHON=sys.executable)
    assert result.returncode == 0, result.stderr
    return artifacts / "python"


def _sources(site):
    return sorted((site / "couvert").rglob("*.py"))


def _bytecode_of(source):
    return source.parent / "__pycache__" / f"{source.stem}.{TAG}.pyc"


def test_every_module_is_shipped_with_bytecode_trusted_without_its_source(built):
    sources = _sources(built)
    assert len(sources) > 40
    for source in sources:
        header = _bytecode_of(source).read_bytes()[:8]
        assert header[:4] == importlib.util.MAGIC_NUMBER, source
        assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH, source


def test_the_package_data_travels_with_the_package(built):
    for data in ("openapi.json", "queries/availability.sql"):
        assert (built / "couvert" / data).is_file(), data
    assert any((built / "couvert" / "templates").iterdir())


def test_bytecode_left_in_the_checkout_is_not_shipped(layer, built):
    assert (layer / "couvert" / "__pycache__" / STRAY).exists()
    shipped = [p.name for p in (built / "couvert").rglob("*.pyc")]
    assert STRAY not in shipped and all(f".{TAG}." in name for name in shipped)


def test_a_function_imports_from_the_bytecode_alone(built):
    """Every source file is replaced by one that fails: the import succeeds only from bytecode."""
    for source in _sources(built):
        source.write_text("raise ImportError('compiled from source at import')\n")
    probe = ("import sys\n"
             f"sys.path[:0] = [{str(built)!r}, {str(ROOT / 'functions' / 'create_reservation')!r}]\n"
             "import app, couvert.engine, couvert.sweeps\n"
             "couvert.engine.AvailabilityEngine\n"
             "print(couvert.__file__)\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}  # as on Lambda
    env.update(DATABASE_URL="postgresql:///layer-build", AWS_DEFAULT_REGION="eu-west-1")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(built))


def test_the_build_refuses_a_python_other_than_the_runtimes(layer):
    this = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert _make(layer, "runtime", PYTHON=sys.executable, RUNTIME_VERSION=this).returncode == 0
    refused = _make(layer, "runtime", PYTHON=sys.executable, RUNTIME_VERSION="3.0")
    assert refused.returncode != 0 and "set PYTHON to a Python 3.0" in refused.stderr
