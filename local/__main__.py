"""``make run``: the whole system on this machine, from template.yaml. No AWS account, no Docker.

Environment: ``PORT`` (default 3000), ``LOCAL_STOREFRONT_KEY`` / ``LOCAL_ADMIN_KEY`` (the local API
keys), ``AWS_DEFAULT_REGION`` (default eu-central-1), ``LOCAL_PARAMETER_OVERRIDES`` (template parameters
as ``Name=Value Name=Value``, e.g. ``StorefrontKeyRateLimit=1``). Ctrl-C stops it.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import warnings
from types import FrameType

from local.stack import LocalKeys, launch, parameter_overrides
from sam_emulator.server import PortInUse

CURL = """\
  curl -s {url}/orders/preview -H 'x-api-key: {storefront}' -H 'content-type: application/json' -d '{order}'
  curl -s {url}/orders -H 'x-api-key: {storefront}' -H 'content-type: application/json' -d '{order}'
  curl -s {url}/customers/ACME -H 'x-api-key: {storefront}'"""
ORDER = (
    '{"order_id": "SO-2001", "customer_id": "ACME", "placed_at": "2026-11-20T10:15:00Z", "currency": "EUR", '
    '"lines": [{"sku": "BOLT-M8", "quantity": 1000, "unit_price": "0.45", "category": "fasteners"}]}'
)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every AWS call otherwise
    logging.getLogger("botocore").setLevel(logging.WARNING)
    # Error answers publish no business metric, and Powertools says so on every one of them.
    warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
    try:
        port = int(os.environ.get("PORT") or 3000)
    except ValueError:
        print(f"error: PORT={os.environ['PORT']!r} is not a port number", file=sys.stderr)
        return 2
    try:
        overrides = parameter_overrides(os.environ.get("LOCAL_PARAMETER_OVERRIDES"))
    except ValueError as error:
        print(f"error: LOCAL_PARAMETER_OVERRIDES: {error}", file=sys.stderr)
        return 2
    keys = LocalKeys.from_environment()
    started = time.monotonic()
    try:
        running = launch(port=port, keys=keys, overrides=overrides)
    except KeyboardInterrupt:
        print("\ninterrupted while starting; stopped", file=sys.stderr)
        return 130
    except PortInUse as busy:
        print(
            f"error: port {busy.port} on {busy.host} is already in use (another `make run`?).\n"
            f"       Stop that process, or pick another port: PORT={busy.port + 1} make run",
            file=sys.stderr,
        )
        return 1
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    url = running.url
    report = running.app.demo_report
    print(
        f"\nLoyalty engine running locally at {url}  (ready in {time.monotonic() - started:.1f}s; Ctrl-C stops it)\n"
        f"  embedded AWS (moto): {running.aws.endpoint}\n"
        f"  storefront key: {keys.storefront}\n"
        f"  admin key:      {keys.admin}\n"
        f"  demo data: {len(report.loaded)} requests loaded"
        + (f", {len(report.failed)} failed (see the warnings above)" if report.failed else "")
        + "\n\nRoutes (template.yaml):\n"
        + "\n".join(f"  {line}" for line in running.app.describe_routes())
        + "\n\nLocal only: GET /_local/health, GET /_local/outbox, POST /_local/jobs/{name}, GET /swagger\n"
        + f"Jobs: {', '.join(sorted(running.app.jobs)) or 'none declared yet'}\n"
        + "\nTry (preview a cart, commit it, read the account):\n"
        + CURL.format(url=url, storefront=keys.storefront, order=ORDER)
        + "\n",
        flush=True,
    )
    while not stop.wait(1):
        pass
    print("\nstopping...", flush=True)
    running.stop()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
