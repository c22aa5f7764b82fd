"""The package stands alone: it imports only the standard library and its declared dependencies."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "sam_emulator"
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
IMPORT_NAMES = {"aws-sam-translator": "samtranslator", "cfn-flip": "cfn_tools", "pyyaml": "yaml"}
"""Distributions whose import name is not their own name."""


def declared_imports() -> set[str]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    names = {requirement.split(">")[0].split("[")[0].split("<")[0].strip() for requirement in requirements}
    return {IMPORT_NAMES.get(name, name.replace("-", "_")) for name in names} | {"botocore"}  # boto3's own


def imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda path: path.name)
def test_a_module_imports_only_the_standard_library_and_the_declared_dependencies(path: Path) -> None:
    allowed = set(sys.stdlib_module_names) | declared_imports() | {"sam_emulator"}
    assert imported(path) <= allowed
