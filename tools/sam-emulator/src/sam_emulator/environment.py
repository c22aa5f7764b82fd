"""The process environment: set for a block, then restored; and the variables that keep boto3 off the real AWS.

``offline_aws(region, endpoint)`` is what every emulated AWS needs, whether it is moto's server on
loopback (``endpoint`` is its URL) or moto's in-process ``mock_aws`` (no endpoint): dummy credentials,
the region, and nothing that could reach a real account (no profile, no session token, no
``~/.aws`` files, no per-service endpoint). Tools and tests share it, so both run against the same
configuration.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
"""moto accepts any credentials; these are the ones its documentation uses."""
REAL_ACCOUNT_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
"""Removed while the AWS is emulated: any of them could point a client at a real account."""


@contextmanager
def environment(variables: Mapping[str, str], unset: Iterable[str] = ()) -> Iterator[None]:
    """Set ``variables`` (and remove ``unset``) in ``os.environ`` for the block; then restore each one."""
    removed = [name for name in unset if name not in variables]
    saved = {name: os.environ.get(name) for name in [*variables, *removed]}
    os.environ.update(variables)
    for name in removed:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def offline_aws_variables(region: str, endpoint: str | None = None) -> tuple[dict[str, str], list[str]]:
    """The variables to set for an emulated AWS in ``region`` (at ``endpoint``, if any), and the ones to remove."""
    variables = {
        **DUMMY_CREDENTIALS,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        # Nothing from ~/.aws: no profile, no real credentials, no per-service endpoint.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    unset = [*REAL_ACCOUNT_VARIABLES, *(name for name in os.environ if name.startswith("AWS_ENDPOINT_URL_"))]
    if endpoint is None:
        unset.append("AWS_ENDPOINT_URL")  # moto's mock_aws answers in-process; an endpoint would bypass it
    else:
        variables["AWS_ENDPOINT_URL"] = endpoint
    return variables, unset


@contextmanager
def offline_aws(region: str, endpoint: str | None = None, extra: Mapping[str, str] | None = None) -> Iterator[None]:
    """For the block, every boto3 client this process creates reaches the emulated AWS and nothing else.

    ``extra``: more variables to set for the block (a function's environment, say); restored too.
    """
    variables, unset = offline_aws_variables(region, endpoint)
    with environment({**variables, **(extra or {})}, unset=unset):
        yield
