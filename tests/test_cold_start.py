"""Cold start: check_availability imports neither stripe nor boto3, nor the AWS SDK client machinery
(Powertools touches only the botocore package itself, for its user agent)."""

import ast
import os
import subprocess
import sys

import pytest

from couvert_dev.devserver import function_environment, function_names
from tests.support import ROOT
from tests.support.clock import PINNED_NOW

PROBE = """
import sys
sys.path.insert(0, {path!r})
import app
print(sorted(m for m in {modules!r} if m in sys.modules))
"""
AWS_AND_STRIPE = ("stripe", "boto3", "botocore.client", "aws_xray_sdk.core")
FUNCTIONS = function_names()
HTTP_FUNCTIONS = function_names(http_only=True)


# Configured as in Lambda (the functions check their settings at import; nothing connects).
ENV = {**os.environ, "DATABASE_URL": "postgresql:///cold-start", "AWS_LAMBDA_FUNCTION_NAME": "probe",
       "MANAGE_TOKEN_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:manage-links",
       "JWT_ISSUER": "https://issuer.example", "JWT_AUDIENCE": "couvert", "JWT_JWKS_URL": "https://issuer.example/jwks"}
ENV.pop("COUVERT_FROZEN_NOW", None)


def _import(name, env=ENV, modules=AWS_AND_STRIPE):
    return subprocess.run([sys.executable, "-c", PROBE.format(path=str(ROOT / "functions" / name), modules=modules)],
                          capture_output=True, text=True, env=env)


def test_check_availability_loads_no_aws_sdk_and_no_stripe():
    result = _import("check_availability")
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr


def test_the_scheduled_function_loads_neither_the_http_edge_nor_the_engine():
    """It serves no HTTP and runs no availability: its cold start is the stack's and its own."""
    result = _import("scheduled", modules=("aws_lambda_powertools.event_handler", "couvert.http",
                                           "couvert.engine.model", "couvert.engine.availability"))
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr


def test_the_back_office_loads_neither_the_engine_nor_seating():
    """Its routes read and keep a location's records; none computes a slot or seats a party."""
    result = _import("back_office", modules=("couvert.engine.model", "couvert.engine.availability",
                                             "couvert.seating", "couvert.booking"))
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr


STACK = ("psycopg", "pydantic", "pydantic_core", "annotated_types", "typing_inspection", "aws_lambda_powertools")
LOADED = """
import sys
sys.path.insert(0, {path!r})
{code}
print(sorted(m for m in sys.modules if m.split(".")[0] in {stack!r}))
"""


def _stack_modules(code: str, path: str = "") -> set[str]:
    result = subprocess.run([sys.executable, "-c", LOADED.format(path=path, code=code, stack=STACK)],
                            capture_output=True, text=True, env=ENV, check=True)
    return set(eval(result.stdout))


@pytest.mark.parametrize("name", HTTP_FUNCTIONS)
def test_the_stack_floor_loads_nothing_an_http_function_does_not(name):
    """B7's floor (bench/handlers.py) is the stack as every HTTP function loads it, no more: a floor
    with more in it would make the functions' ratios to it look better than they are."""
    from bench.handlers import FLOOR_IMPORTS

    floor = _stack_modules(FLOOR_IMPORTS)
    assert "aws_lambda_powertools.event_handler.openapi.params" in floor  # what validation loads is there
    assert floor - _stack_modules("import app", str(ROOT / "functions" / name)) == set()


@pytest.mark.parametrize("name", HTTP_FUNCTIONS)
def test_an_http_function_loads_of_the_stack_only_what_the_floor_loads(name):
    """Beyond the floor, a function's cold start is its own code: a part of the stack that only our
    code pulls in (pydantic's model serializers built dataclasses at import, 1.5 ms) is ours to avoid.
    Powertools' correlation paths are a module of constants."""
    from bench.handlers import FLOOR_IMPORTS

    beyond = _stack_modules("import app", str(ROOT / "functions" / name)) - _stack_modules(FLOOR_IMPORTS)
    assert beyond <= {"aws_lambda_powertools.logging.correlation_paths"}


@pytest.mark.parametrize("name", ["create_reservation", "transition_status", "back_office", "stripe_webhook", "scheduled"])
def test_every_function_module_imports_cleanly(name):
    result = _import(name)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["check_availability", "back_office", "stripe_webhook", "scheduled"])
def test_a_function_without_a_database_setting_fails_at_import(name):
    env = {k: v for k, v in ENV.items() if "DATABASE_URL" not in k and "DB_SECRET" not in k}
    result = _import(name, env)
    assert result.returncode != 0 and "missing configuration" in result.stderr


@pytest.mark.parametrize("switch", [("COUVERT_FROZEN_NOW", PINNED_NOW.isoformat()),
                                    ("COUVERT_UNSAFE_SKIP_BOOKING_LOCK", "true")])
def test_the_test_only_switches_are_refused_in_lambda(switch):
    result = _import("create_reservation", {**ENV, switch[0]: switch[1]})
    assert result.returncode != 0 and "refused in Lambda" in result.stderr


@pytest.mark.parametrize("name", ["create_reservation", "transition_status", "scheduled"])
def test_in_lambda_manage_links_need_their_own_secret(name):
    """Attack: without one, links would be derived from the development default, which anyone can
    read in this repository, and every guest's reservation could be opened."""
    without = {k: v for k, v in ENV.items() if not k.startswith("MANAGE_TOKEN_SECRET")}
    result = _import(name, without)
    assert result.returncode != 0 and "MANAGE_TOKEN_SECRET_ARN" in result.stderr
    assert _import(name, {**without, "MANAGE_TOKEN_SECRET": "development-manage-token-secret"}).returncode != 0
    assert _import(name, {**without, "MANAGE_TOKEN_SECRET": "a-secret-of-this-deployment-only"}).returncode == 0


@pytest.mark.parametrize("name", ["transition_status", "back_office"])
@pytest.mark.parametrize("missing", ["JWT_ISSUER", "JWT_AUDIENCE"])
def test_in_lambda_operator_tokens_need_an_issuer_and_an_audience(name, missing):
    """Attack: a token made for another application of the same identity provider must not pass."""
    result = _import(name, {k: v for k, v in ENV.items() if k != missing})
    assert result.returncode != 0 and "JWT_ISSUER, JWT_AUDIENCE" in result.stderr


# Counts the scans of the installed distributions' metadata made while a function imports.
SCANS = """
import importlib.metadata, sys
scans = []
scan = importlib.metadata.distributions
importlib.metadata.distributions = lambda *args, **kwargs: scans.append(1) or scan(*args, **kwargs)
sys.path.insert(0, {path!r})
import app
print(len(scans))
"""


@pytest.mark.parametrize("name", FUNCTIONS)
def test_as_deployed_no_function_scans_the_installed_distributions_at_import(name):
    """pydantic looks for plugins in every installed distribution's entry points when the first
    model is built (milliseconds of a cold start) unless template.yaml's setting turns plugins off."""
    def scans(env):
        code = SCANS.format(path=str(ROOT / "functions" / name))
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stderr
        return int(result.stdout)

    deployed = {**ENV, **function_environment()}
    assert scans(deployed) == 0
    assert scans({k: v for k, v in deployed.items() if k != "PYDANTIC_DISABLE_PLUGINS"}) > 0


SETTLED = """
import gc, sys
sys.path.insert(0, {path!r})
import app
print(gc.get_freeze_count(), gc.get_threshold()[0], len(gc.get_objects(generation=2)))
"""


@pytest.mark.parametrize("name", FUNCTIONS)
def test_what_init_built_is_out_of_the_collectors_way(name):
    """The end of each function's init freezes what it built (couvert/memory.py): the collector's
    passes during requests no longer walk the modules, schemas and routes."""
    result = subprocess.run([sys.executable, "-c", SETTLED.format(path=str(ROOT / "functions" / name))],
                            capture_output=True, text=True, env=ENV)
    assert result.returncode == 0, result.stderr
    frozen, threshold, oldest = map(int, result.stdout.split())
    assert frozen > 20_000 and oldest < frozen / 20
    assert threshold == 10_000


def _defines_named_tuples(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.ClassDef) and any(
        getattr(base, "id", getattr(base, "attr", None)) == "NamedTuple" for base in node.bases) for node in tree.body)


def _postpones_annotations(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
               and any(alias.name == "annotations" for alias in node.names) for node in tree.body)


def test_modules_of_named_tuples_do_not_postpone_annotations():
    """typing.NamedTuple compiles a forward reference for each string annotation at import: 1.8 ms of
    the engine's model alone (docs/decisions.md, "The engine's types are named tuples")."""
    package = ROOT / "layers" / "engine" / "couvert"
    trees = {path.relative_to(package): ast.parse(path.read_text()) for path in package.rglob("*.py")}
    with_named_tuples = [path for path, tree in trees.items() if _defines_named_tuples(tree)]
    assert len(with_named_tuples) >= 10  # the check finds them: the engine, requests, the use cases
    assert [str(path) for path in with_named_tuples if _postpones_annotations(trees[path])] == []
