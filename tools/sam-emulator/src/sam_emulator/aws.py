"""The embedded AWS: moto's threaded server on loopback, and the environment that points boto3 at it.

Every boto3 client this process creates afterwards (the functions' included) reaches moto through
``AWS_ENDPOINT_URL``, with dummy credentials: no AWS account is needed, and none can be touched.
"""

from __future__ import annotations

import urllib.request
from contextlib import ExitStack

from moto.server import ThreadedMotoServer

from sam_emulator.environment import offline_aws

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
        self._cleanup.enter_context(offline_aws(self.region, self.endpoint))
        return self

    def stop(self) -> None:
        # moto's backends live in this process, not in the server: empty them, so that the next
        # embedded AWS of this process starts as empty as a new process would.
        if self.endpoint:
            reset = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
            with urllib.request.urlopen(reset, timeout=10):
                pass
        self._cleanup.close()
