"""The lab's AWS: moto, with what the EKS hybrid nodes flow needs and moto lacks.

Usage::

    python lab/aws/server.py --bind 127.0.0.1 --bind 10.52.100.1 --port 5000 \\
        --kube-endpoint https://10.52.100.1:6443 --kube-ca /path/ca.crt

One process runs moto's ThreadedMotoServer on each bind address; all of them share moto's
backends, so an activation created through 127.0.0.1 can be consumed through 10.52.100.1. The
process stays in the foreground and exits 0 on SIGTERM or SIGINT.

Before the servers start it adds SSM hybrid activations and managed instances (ssm_hybrid.py),
EKS access entries and accessConfig (eks_access.py), fault injection and the ``/_lab/``
endpoints (lab_endpoints.py), and seeds the workshop's account (seed.py). Request lines are
logged; request bodies, and so activation codes, never are.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

LAB_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if LAB_DIR not in sys.path:
    sys.path.insert(0, LAB_DIR)
# moto reads this when its IAM backend is first built; the seed attaches AWS managed policies.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

from moto.moto_server.threaded_moto_server import ThreadedMotoServer  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server  # noqa: E402

import eks_access  # noqa: E402
import lab_endpoints  # noqa: E402
import labconfig  # noqa: E402
import seed  # noqa: E402
import ssm_hybrid  # noqa: E402


class LabMotoServer(ThreadedMotoServer):
    """moto's threaded server with the lab's ``/_lab/`` endpoints in front, and bind errors reported."""

    def __init__(self, ip_address: str, port: int) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self.startup_error: OSError | None = None

    def _server_entry(self) -> None:
        app = lab_endpoints.LabMiddleware(DomainDispatcherApplication(create_backend_app))
        try:
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        except (OSError, SystemExit) as error:  # werkzeug reports a busy port with sys.exit(1)
            self.startup_error = error if isinstance(error, OSError) else OSError("address unavailable")
            self._server_ready_event.set()
            return
        self._server_ready_event.set()
        self._server.serve_forever()

    def start(self) -> None:
        super().start()
        if self.startup_error is not None:
            raise self.startup_error


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--bind", action="append", required=True, help="address to listen on (repeatable)")
    parser.add_argument("--port", type=int, default=labconfig.AWS_PORT)
    parser.add_argument("--kube-endpoint", default=labconfig.KUBE_ENDPOINT,
                        help="the EKS cluster's API server endpoint that DescribeCluster returns")
    parser.add_argument("--kube-ca", required=True, help="PEM file of the API server's CA")
    return parser.parse_args(argv)


def install_extensions() -> None:
    ssm_hybrid.install()
    eks_access.install()
    lab_endpoints.install_fault_injection()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with open(args.kube_ca, "rb") as ca_file:
            kube_ca_pem = ca_file.read()
    except OSError as error:
        print(f"Failed to read the Kubernetes CA {args.kube_ca}: {error.strerror}", file=sys.stderr)
        return 1

    install_extensions()
    seed.seed(args.kube_endpoint, kube_ca_pem)

    stop_requested = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda _number, _frame: stop_requested.set())

    servers: list[LabMotoServer] = []
    try:
        for address in dict.fromkeys(args.bind):
            server = LabMotoServer(address, args.port)
            try:
                server.start()
            except OSError as error:
                print(f"Failed to listen on {address}:{args.port}: {error.strerror or error}", file=sys.stderr)
                return 1
            servers.append(server)
            print(f"lab AWS listening on http://{address}:{args.port}", file=sys.stderr, flush=True)
        stop_requested.wait()
    finally:
        for server in servers:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
