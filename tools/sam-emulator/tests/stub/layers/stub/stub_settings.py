"""The layer every function has (Globals): a setting read once per execution environment."""

import os
from functools import cache


@cache
def greeting():
    # read once per execution environment, as settings in a layer commonly are
    return os.environ.get("GREETING")
