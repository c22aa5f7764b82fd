"""A request's meaning as a digest: the same request sent twice, however formatted, has one fingerprint."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def digest(values: Mapping[str, Any]) -> str:
    """SHA-256 of the values as canonical JSON: sorted keys, no spaces, text as written (not escaped)."""
    encoded = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()
