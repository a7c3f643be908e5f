"""The shape the code keeps (docs/architecture.md): the layer holds only what a Lambda runs, its
dependencies are the layer's requirements, handlers stay thin."""

import ast
import sys
from pathlib import Path

import pytest

from couvert_dev.devserver import function_names
from tests.support import ROOT

LAYER = ROOT / "layers" / "engine" / "couvert"
FUNCTIONS = sorted((ROOT / "functions").glob("*/app.py"))
# Import name -> the distribution in layers/engine/requirements.txt that provides it.
DISTRIBUTIONS = {"aws_lambda_powertools": "aws-lambda-powertools", "aws_xray_sdk": "aws-xray-sdk",
                 "psycopg": "psycopg", "pydantic": "pydantic", "email_validator": "email-validator",
                 "phonenumbers": "phonenumbers", "jwt": "pyjwt", "stripe": "stripe", "boto3": "boto3",
                 "botocore": "boto3", "tzdata": "tzdata", "jinja2": "jinja2", "icalendar": "icalendar",
                 "babel": "babel"}
# Provided by the Lambda Python runtime itself, imported guardedly (couvert/snapstart.py): not in the layer.
LAMBDA_RUNTIME = {"snapshot_restore_py"}


def imports_of(path: Path) -> set[str]:
    """Top-level names of every module the file imports (at module level or inside functions)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def layer_files() -> list[Path]:
    return sorted(LAYER.rglob("*.py"))


@pytest.mark.parametrize("path", layer_files() + FUNCTIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_runtime_code_never_imports_the_dev_tooling(path):
    assert not imports_of(path) & {"couvert_dev", "tests", "bench", "yaml"}


def test_every_third_party_import_of_the_runtime_is_in_the_layer_requirements():
    requirements = {line.split("==")[0].split("[")[0].strip().lower()
                    for line in (ROOT / "layers/engine/requirements.txt").read_text().splitlines()
                    if line.strip() and not line.startswith("#")}
    third_party = set().union(*(imports_of(p) for p in layer_files() + FUNCTIONS)) \
        - set(sys.stdlib_module_names) - {"couvert", "__future__"} - LAMBDA_RUNTIME
    assert {name: DISTRIBUTIONS.get(name) for name in third_party
            if DISTRIBUTIONS.get(name) not in requirements} == {}


def test_every_function_directory_is_deployed_by_the_template():
    """template.yaml's functions are the list the bench, the OpenAPI document and the tests read
    (couvert_dev.devserver.function_names): a function directory it does not deploy would be missed."""
    assert sorted(function_names()) == sorted(path.parent.name for path in FUNCTIONS)
    assert set(function_names(http_only=True)) == set(function_names()) - {"scheduled"}


@pytest.mark.parametrize("path", FUNCTIONS, ids=lambda p: p.parent.name)
def test_handlers_are_thin(path):
    """No SQL, Stripe or AWS SDK in a handler: they parse, call one use case and answer."""
    assert not imports_of(path) & {"psycopg", "stripe", "boto3", "botocore"}
    assert "query(" not in path.read_text(encoding="utf-8")


def test_no_use_case_module_grows_past_250_lines():
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in layer_files()
             if p.parent == LAYER}
    assert {name: n for name, n in sizes.items() if n > 250} == {}


HTTP_MODELS = ("api_models", "body_types", "change_models", "record_models", "api_responses", "creation_responses",
               "availability_models", "operator_responses", "webhook_responses")


def test_the_domain_never_sees_an_http_model():
    """Use cases take the domain's named tuples (requests.py); HTTP bodies stay in the handlers."""
    def imports_http(path: Path) -> bool:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        return any(isinstance(node, ast.ImportFrom) and node.module in {f"couvert.{m}" for m in HTTP_MODELS}
                   for node in ast.walk(tree))

    assert [p.name for p in layer_files() if imports_http(p) and p.stem not in HTTP_MODELS] == []
    # ... and the list names every module of HTTP models (those built on shapes.Shape).
    assert {p.stem for p in layer_files() if "couvert.shapes" in _module_imports(p)} == set(HTTP_MODELS)


def test_test_modules_share_helpers_through_the_support_package_only():
    test_modules = sorted((ROOT / "tests").glob("test_*.py"))
    assert [p.name for p in test_modules if any(name.startswith("tests.test_") for name in _module_imports(p))] == []


def _module_imports(path: Path) -> set[str]:
    return {node.module for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom) and node.module}
