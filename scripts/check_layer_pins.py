"""Check that the layer's requirements agree with the dev lock.

Usage: python scripts/check_layer_pins.py layers/core/requirements.txt requirements/dev.lock

Every `name==version` in the layer file must be pinned identically in the lock, the layer
must pin aws-lambda-powertools and pydantic, and it must not ship what Lambda provides
(boto3, botocore, s3transfer). Standard library only: runs before any venv exists.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")
REQUIRED = {"aws-lambda-powertools", "pydantic"}
PROVIDED_BY_LAMBDA = {"boto3", "botocore", "s3transfer"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            found.setdefault(_normalise(match.group(1)), set()).add(match.group(2))
    return found


def main(layer_file: str, lock_file: str) -> int:
    layer, lock = pins(Path(layer_file)), pins(Path(lock_file))
    problems = [f"{layer_file} does not pin {name}" for name in sorted(REQUIRED - layer.keys())]
    provided = sorted(PROVIDED_BY_LAMBDA & layer.keys())
    problems += [f"{layer_file} lists {name}, which Lambda provides" for name in provided]
    for name, versions in sorted(layer.items()):
        if not versions <= lock.get(name, set()):
            locked = ", ".join(sorted(lock.get(name, set()))) or "nothing"
            problems.append(f"{name}=={', '.join(sorted(versions))} in {layer_file}, but {lock_file} has {locked}")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        print("run `make lock` to regenerate the layer requirements from the lock", file=sys.stderr)
        return 1
    print(f"{layer_file}: {len(layer)} pins, all as in {lock_file}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
