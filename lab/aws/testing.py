"""Start and stop the lab's AWS (server.py) for tests, on loopback and a free port.

    with lab_aws(kube_ca_path, kube_endpoint="https://127.0.0.1:6443") as endpoint:
        boto3.client("ssm", endpoint_url=endpoint, region_name="us-west-2")

The server runs as a child process; it is stopped with SIGTERM (then SIGKILL) when the block ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from typing import Iterator

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server.py")
STARTUP_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lab_request(endpoint: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """Call a ``/_lab/`` endpoint; returns (status, decoded JSON)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(endpoint + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@contextlib.contextmanager
def lab_aws(kube_ca_path: str, kube_endpoint: str = "https://127.0.0.1:6443") -> Iterator[str]:
    """Run server.py on 127.0.0.1 and a free port; yield its endpoint URL."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: request logs must never block the server
    process = subprocess.Popen(
        [sys.executable, SERVER, "--bind", "127.0.0.1", "--port", str(port), "--kube-endpoint", kube_endpoint,
         "--kube-ca", kube_ca_path],
        stdout=subprocess.DEVNULL, stderr=log, text=True)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"Failed to start the lab AWS: exit {process.returncode}: {log.read()}")
            try:
                if lab_request(endpoint, "GET", "/_lab/state")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("Failed to start the lab AWS: not answering after %ds" % STARTUP_TIMEOUT_SECONDS)
            time.sleep(0.2)
        yield endpoint
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
