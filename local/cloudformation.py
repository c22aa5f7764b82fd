"""This repository's template.yaml as the local stack, the tests and the scripts read it.

The reading itself is ``sam_emulator.template``; what is the project's is bound here: the template's
path, the region ``make run`` uses unless ``AWS_DEFAULT_REGION`` says otherwise, and the physical
names (``loyalty-local-<LogicalId>``) that every local tool finds the tables by.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from sam_emulator import template

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
REGION = "eu-central-1"
PREFIX = "loyalty-local"
ACCOUNT_ID = template.ACCOUNT_ID


@dataclass
class Stack(template.Stack):
    """template.yaml (by default) with its parameters bound, named as the local stack names it."""

    region: str = REGION
    prefix: str = PREFIX
    base_dir: Path = ROOT

    @classmethod
    def load(cls, path: Path | str = TEMPLATE, **kwargs: Any) -> Self:
        return super().load(path, **kwargs)
