"""The embedded AWS: moto's threaded server on loopback, and the environment that points boto3 at it.

Every boto3 client this process creates afterwards (the functions' included) reaches moto through
``AWS_ENDPOINT_URL``, with dummy credentials: no AWS account is needed, and none can be touched.
"""

from __future__ import annotations

import os
from contextlib import ExitStack

from moto.server import ThreadedMotoServer

from local.lambdas import environment

HOST = "127.0.0.1"


class EmbeddedAws:
    def __init__(self, region: str, host: str = HOST, port: int = 0) -> None:
        self.region = region
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self._cleanup = ExitStack()
        self.endpoint = ""

    def start(self) -> EmbeddedAws:
        self._server.start()
        self._cleanup.callback(self._server.stop)
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        variables = {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            # Nothing from ~/.aws: no profile, no real credentials, no per-service endpoint.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        unset = [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL_")]
        self._cleanup.enter_context(environment(variables, unset=[*unset, "AWS_PROFILE", "AWS_SESSION_TOKEN"]))
        return self

    def stop(self) -> None:
        self._cleanup.close()
