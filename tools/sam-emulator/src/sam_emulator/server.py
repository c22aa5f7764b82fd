"""Serving an emulated stack over HTTP: the server on loopback, the embedded AWS, and ``launch`` that starts both.

The port is bound first, so a busy one fails before anything else starts, and the stack's URL is
known before the stack is built (links a function builds can point at it). Until the stack is
ready the server answers 503.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sam_emulator.aws import HOST, EmbeddedAws
from sam_emulator.emulator import Emulator, starting

App = TypeVar("App", bound=Emulator)


class PortInUse(Exception):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"port {port} on {host} is already in use")
        self.host = host
        self.port = port


class AccessLog(WSGIRequestHandler):
    """One log line per request of the emulated API (moto's own requests stay quiet)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logging.getLogger("sam_emulator.http").info("%s %s -> %s", self.command, self.path, code)

    def log_message(self, format: str, *args: Any) -> None:
        logging.getLogger("sam_emulator.http").debug(format, *args)


class Server:
    """An HTTP server on loopback: bound at once (a busy port fails fast), served in a thread.

    Until ``serve(app)`` it answers 503: the port is taken before the stack starts, so its URL is known.
    """

    def __init__(self, host: str = HOST, port: int = 3000) -> None:
        try:
            self._socket = socket.create_server((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(host, port) from error
            raise
        self._server: BaseWSGIServer = make_server(
            host, port, starting, threaded=True, request_handler=AccessLog, fd=self._socket.fileno()
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="sam-emulator-http", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> Server:
        self._thread.start()
        return self

    def serve(self, app: Any) -> None:
        self._server.app = app

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()
        self._socket.close()


@dataclass
class Launched(Generic[App]):
    """A running stack: the emulator, its HTTP server and its embedded AWS. ``stop()`` stops all three."""

    app: App
    server: Server
    aws: EmbeddedAws

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.stop()
        self.app.stop()
        self.aws.stop()


def launch(build: Callable[[str], App], *, region: str, port: int = 3000, host: str = HOST) -> Launched[App]:
    """The port first (a busy one fails before anything else), then moto's server, then the stack.

    ``build(url)`` makes the (unstarted) emulator; ``url`` is where it will be served.
    """
    server = Server(host, port).start()
    aws = EmbeddedAws(region, host=host)
    app: App | None = None
    try:
        app = build(server.url)
        server.serve(app)
        aws.start()
        app.start()
    except BaseException:
        server.stop()
        if app is not None:
            app.stop()
        aws.stop()
        raise
    return Launched(app, server, aws)
