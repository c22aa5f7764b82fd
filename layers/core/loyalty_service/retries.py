"""What the use cases do when the state they read moved before they could write: pause, read again, or give up."""

from __future__ import annotations

import random
import time

from loyalty.errors import Conflict


class ContendedState(Conflict):
    """The bounded retries all lost to other writers of the same account (409: the same request may be sent again)."""

    code = "contended"

    def __init__(self) -> None:
        super().__init__("the account is being changed by other requests; retry the same request")


def backoff(attempt: int, *, base: float = 0.02, cap: float = 0.32) -> None:
    """Sleep a random time below ``base * 2**attempt`` seconds, at most ``cap``: full jitter spreads out racing
    retries, and the cap keeps ten attempts within about two seconds of pauses, far inside a request's timeout."""
    time.sleep(random.uniform(0, min(cap, base * 2**attempt)))  # jitter, not a secret
