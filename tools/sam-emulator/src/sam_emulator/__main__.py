"""``python -m sam_emulator [template.yaml]``: serve a SAM template on loopback until Ctrl-C.

The template's tables, queues, secrets and SES identities are created in an embedded moto server;
its API is served at ``http://127.0.0.1:<port>``, with the control routes under ``/_local``; its
schedules fire on the wall clock. Exit status: 0 when stopped, 1 on a busy port, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from sam_emulator.emulator import Emulator
from sam_emulator.server import PortInUse, launch
from sam_emulator.template import DEFAULT_PREFIX, DEFAULT_REGION, TEMPLATE, Stack


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sam-emulator", description=__doc__.splitlines()[0])
    parser.add_argument("template", nargs="?", type=Path, default=TEMPLATE, help="the SAM template (template.yaml)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 3000), help="default 3000 ($PORT)")
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
        help=f"default {DEFAULT_REGION} ($AWS_DEFAULT_REGION)",
    )
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="physical names are <prefix>-<LogicalId>")
    parser.add_argument(
        "--parameter-overrides", nargs="*", default=[], metavar="NAME=VALUE", help="template parameters"
    )
    parser.add_argument("--no-clock", action="store_true", help="do not fire the schedules on the wall clock")
    arguments = parser.parse_args(argv)
    if not arguments.template.is_file():
        parser.error(f"no template at {arguments.template}")
    if any("=" not in item for item in arguments.parameter_overrides):
        parser.error("--parameter-overrides takes NAME=VALUE pairs")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every AWS call otherwise
    logging.getLogger("botocore").setLevel(logging.WARNING)
    overrides = dict(item.split("=", 1) for item in arguments.parameter_overrides)
    stack = Stack.load(arguments.template, region=arguments.region, prefix=arguments.prefix, overrides=overrides)
    try:
        running = launch(
            lambda url: Emulator(stack, clock=not arguments.no_clock), region=arguments.region, port=arguments.port
        )
    except PortInUse as busy:
        print(f"error: port {busy.port} on {busy.host} is already in use; pick another: --port", file=sys.stderr)
        return 1
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    print(
        f"\n{arguments.template} running at {running.url}  (Ctrl-C stops it)\n"
        f"  embedded AWS (moto): {running.aws.endpoint}\n\nRoutes:\n"
        + "\n".join(f"  {line}" for line in running.app.describe_routes())
        + "\n\nControl: GET /_local/health, GET /_local/outbox, GET /_local/jobs, POST /_local/jobs/{name}\n"
        + f"Jobs: {', '.join(sorted(running.app.jobs)) or 'none'}\n",
        flush=True,
    )
    while not stop.wait(1):
        pass
    running.stop()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
