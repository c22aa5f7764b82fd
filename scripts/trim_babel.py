"""Keep only the CLDR data of the digest's languages in a built layer (32 MB of locale data -> ~2 MB).

Usage: PYTHONPATH=layers/core python scripts/trim_babel.py .aws-sam/build/CoreLayer/python

The languages are the digest's own catalogue, so adding a language to it keeps its data too.
Babel needs ``root`` and every regional variant of a kept language (``de_AT``, ``pt_PT``, ...).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from loyalty_digest.messages import CATALOGUE


def trim(layer: Path) -> tuple[int, int]:
    data = layer / "babel" / "locale-data"
    if not data.is_dir():
        raise SystemExit(f"no Babel locale data under {layer}")
    kept = re.compile(rf"^(root|{'|'.join(sorted(CATALOGUE))})(_\w+)?\.dat$")
    removed = freed = 0
    for path in data.glob("*.dat"):
        if not kept.match(path.name):
            freed += path.stat().st_size
            path.unlink()
            removed += 1
    return removed, freed


if __name__ == "__main__":
    removed, freed = trim(Path(sys.argv[1]))
    print(f"babel: removed {removed} locale files ({freed / 1_000_000:.1f} MB) not used by the digest")
