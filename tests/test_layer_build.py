"""The engine layer's build (layers/engine/Makefile, which `sam build` runs) ships our package with its
bytecode, and a function imports from that bytecode without reading one line of source: Lambda cannot
write bytecode into a layer, so a module shipped as source alone is compiled at every cold start.

The step that installs the pinned arm64 wheels needs PyPI and a Python 3.12 and is not run here; the
steps that copy and compile the package are the ones run below, with this interpreter."""

import importlib.util
import os
import subprocess
import sys

import pytest

from tests.support import ROOT

LAYER = ROOT / "layers" / "engine"
UNCHECKED_HASH = 0b01  # PEP 552: hash-based, source not checked


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    artifacts = tmp_path_factory.mktemp("layer")
    subprocess.run(["make", "--no-print-directory", "-s", "-C", str(LAYER), "package", "bytecode",
                    f"ARTIFACTS_DIR={artifacts}", f"PYTHON={sys.executable}"], check=True)
    return artifacts / "python"


def _sources(site):
    return sorted((site / "couvert").rglob("*.py"))


def test_every_module_is_shipped_with_bytecode_trusted_without_its_source(built):
    sources = _sources(built)
    assert len(sources) > 40
    for source in sources:
        pyc = importlib.util.cache_from_source(str(source))
        with open(pyc, "rb") as f:
            header = f.read(8)
        assert header[:4] == importlib.util.MAGIC_NUMBER, source
        assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH, source


def test_the_package_data_travels_with_the_package(built):
    for data in ("openapi.json", "queries/availability.sql"):
        assert (built / "couvert" / data).is_file(), data
    assert any((built / "couvert" / "templates").iterdir())


def test_no_bytecode_of_another_python_is_copied(built):
    tag = sys.implementation.cache_tag
    stray = [p for p in (built / "couvert").rglob("*.pyc") if f".{tag}." not in p.name]
    assert stray == []


def test_a_function_imports_from_the_bytecode_alone(built, tmp_path):
    """Every source file is replaced by one that fails: the import succeeds only from bytecode."""
    for source in _sources(built):
        source.write_text("raise ImportError('compiled from source at import')\n")
    probe = ("import sys\n"
             f"sys.path[:0] = [{str(built)!r}, {str(ROOT / 'functions' / 'create_reservation')!r}]\n"
             "import app, couvert.engine, couvert.sweeps\n"
             "couvert.engine.AvailabilityEngine\n"
             "print(couvert.__file__)\n")
    env = {**os.environ, "DATABASE_URL": "postgresql:///layer-build", "AWS_DEFAULT_REGION": "eu-west-1"}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(built))


def test_the_build_refuses_a_python_other_than_the_runtime(tmp_path):
    result = subprocess.run(["make", "--no-print-directory", "-s", "-C", str(LAYER), "runtime",
                             f"PYTHON={sys.executable}"], capture_output=True, text=True)
    if sys.version_info[:2] == (3, 12):
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0 and "Python 3.12" in result.stderr
