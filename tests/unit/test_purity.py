"""The rules core is pure: no AWS, no I/O, no clock, no randomness. Read from its source, and proved at import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "layers" / "core" / "loyalty"
MODULES = sorted(CORE.rglob("*.py"))

FORBIDDEN_IMPORTS = {
    "boto3", "botocore", "aws_lambda_powertools", "aws_xray_sdk", "moto",
    "socket", "ssl", "http", "urllib", "urllib3", "requests", "httpx",
    "os", "subprocess", "shutil", "pathlib", "io", "tempfile",
    "time", "random", "secrets", "uuid", "threading", "asyncio",
}  # fmt: skip
CLOCK_CALLS = {"now", "utcnow", "today", "fromtimestamp", "utcfromtimestamp", "time", "monotonic", "perf_counter"}


def imported_roots(tree: ast.AST) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def attribute_calls(tree: ast.AST) -> set[str]:
    return {
        node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


def test_the_core_has_modules_to_check() -> None:
    assert len(MODULES) >= 10


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_a_core_module_imports_nothing_that_reaches_outside(module: Path) -> None:
    tree = ast.parse(module.read_text(), filename=str(module))

    assert imported_roots(tree) & FORBIDDEN_IMPORTS == set()


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_a_core_module_never_reads_the_clock(module: Path) -> None:
    tree = ast.parse(module.read_text(), filename=str(module))

    assert attribute_calls(tree) & CLOCK_CALLS == set()


def test_the_checks_catch_what_they_look_for() -> None:
    offending = ast.parse("import boto3\nfrom datetime import datetime\nstamp = datetime.now()\n")

    assert imported_roots(offending) & FORBIDDEN_IMPORTS == {"boto3"}
    assert attribute_calls(offending) & CLOCK_CALLS == {"now"}


def test_importing_the_whole_core_loads_no_aws_library() -> None:
    names = ", ".join(f"loyalty.{path.stem}" for path in MODULES if path.stem != "__init__")
    probe = (
        f"import sys, {names}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in {'boto3', 'botocore', 'aws_lambda_powertools'})\n"
        "print(','.join(loaded))"
    )

    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=CORE.parent)

    assert result.stdout.strip() == ""
