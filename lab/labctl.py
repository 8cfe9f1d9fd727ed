"""Control program of the local lab that stands in for AWS, EKS and the machines to join.

    python lab/labctl.py up [--hosts 3] [--outside 0] [--outside-in-group] [--no-servers]
    python lab/labctl.py down | status | reset-hosts | add-host [--outside]
    python lab/labctl.py ssh lab-node-1 -- hostname

`up` builds labconfig.STATE_DIR: the lab bridges and hosts (see hosts.py), the servers (moto for AWS,
a small Kubernetes API, a static file server for nodeadm and the Cilium chart) and the files that
playbooks and shells use to reach them: inventory.yml, lab-vars.yml and lab.env. Run as root.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import http.server
import json
import os
import pathlib
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hosts  # noqa: E402  (needs the path above)
import labconfig  # noqa: E402
from hosts import Host, LabError  # noqa: E402

REPO_ROOT = pathlib.Path(labconfig.REPO_ROOT)
LAB_DIR = REPO_ROOT / "lab"
VENV_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
HELM_BINARY = REPO_ROOT / ".cache" / "bin" / "helm"
KUBECTL_BINARY = REPO_ROOT / ".cache" / "bin" / "kubectl"
COLLECTIONS_PATH = REPO_ROOT / ".cache" / "collections"
NODEADM_SOURCE = LAB_DIR / "nodeadm" / "nodeadm"
PKI_PROGRAM = LAB_DIR / "kube" / "pki.py"
CHARTS_PROGRAM = LAB_DIR / "charts" / "package.py"
NODEADM_ARCHITECTURES = ("amd64", "arm64")
SERVER_WAIT_SECONDS = 60.0
STOP_WAIT_SECONDS = 5.0
FAIL_CLOSED_PROXY = "http://127.0.0.1:9"  # discard port: nothing listens, so a proxied request fails at once
FAKE_AWS_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": labconfig.REGION,
}


def state_path(*parts: str) -> pathlib.Path:
    return pathlib.Path(labconfig.STATE_DIR, *parts)


def progress(message: str) -> None:
    print("lab: " + message, flush=True)


def warn(message: str) -> None:
    print("lab: warning: " + message, file=sys.stderr, flush=True)


# --- servers -----------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Server:
    """A lab server: a background process in its own session, known by its pid file."""

    name: str
    title: str
    program: pathlib.Path
    port: int
    arguments: tuple[str, ...]
    needs: tuple[pathlib.Path, ...] = ()

    @property
    def command(self) -> list[str]:
        return [str(VENV_PYTHON), str(self.program), *self.arguments]

    @property
    def pid_file(self) -> pathlib.Path:
        return state_path("pids", self.name + ".pid")

    @property
    def log_file(self) -> pathlib.Path:
        return state_path("logs", self.name + ".log")

    @property
    def addresses(self) -> tuple[str, ...]:
        return ("127.0.0.1", labconfig.BRIDGE_IP)

    def missing(self) -> list[pathlib.Path]:
        return [path for path in (self.program, *self.needs) if not path.exists()]

    def pid(self) -> int | None:
        """pid of this server when it runs and is the program we started, else None."""
        pid = hosts.read_pid(self.pid_file)
        if not hosts.pid_alive(pid):
            return None
        try:
            command_line = pathlib.Path("/proc/%d/cmdline" % pid).read_bytes().split(b"\0")
        except OSError:
            return None
        return pid if str(self.program).encode() in command_line else None

    def answers(self) -> bool:
        return all(port_answers(address, self.port) for address in self.addresses)


def lab_servers() -> list[Server]:
    kube_dir = state_path("kube")
    binds = ("--bind", "127.0.0.1", "--bind", labconfig.BRIDGE_IP)
    return [
        Server("kube", "Kubernetes API", LAB_DIR / "kube" / "server.py", labconfig.KUBE_PORT,
               (*binds, "--port", str(labconfig.KUBE_PORT), "--tls-dir", str(kube_dir)),
               needs=(kube_dir / "ca.crt",)),
        Server("aws", "AWS (moto)", LAB_DIR / "aws" / "server.py", labconfig.AWS_PORT,
               (*binds, "--port", str(labconfig.AWS_PORT), "--kube-endpoint", labconfig.KUBE_ENDPOINT,
                "--kube-ca", str(kube_dir / "ca.crt")),
               needs=(kube_dir / "ca.crt",)),
        Server("files", "files (nodeadm, charts)", pathlib.Path(__file__).resolve(), labconfig.FILES_PORT,
               ("serve-files", *binds, "--port", str(labconfig.FILES_PORT), "--directory", str(state_path("www")))),
    ]


def port_answers(address: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def server_environment(lab_hosts: Iterable[Host]) -> dict[str, str]:
    """Environment of the servers and of the controller: fake AWS credentials and a fail-closed proxy."""
    environment = dict(FAKE_AWS_CREDENTIALS)
    environment["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    no_proxy = ",".join(["127.0.0.1", "localhost", labconfig.BRIDGE_IP, *(host.address for host in lab_hosts)])
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        environment[variable] = FAIL_CLOSED_PROXY
    environment["NO_PROXY"] = environment["no_proxy"] = no_proxy
    return environment


def start_servers(servers: list[Server], lab_hosts: list[Host]) -> None:
    """Start every server that is not already running, then wait for all of their ports."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("AWS_") and key.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    environment.update(server_environment(lab_hosts))
    environment["PYTHONUNBUFFERED"] = "1"
    started: dict[str, subprocess.Popen] = {}
    for server in servers:
        if server.pid() and server.answers():
            continue
        stop_servers([server])
        for address in server.addresses:
            if port_answers(address, server.port):
                raise LabError("Failed to start the %s server: something else already listens on %s:%d"
                               % (server.name, address, server.port))
        server.log_file.parent.mkdir(parents=True, exist_ok=True)
        server.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with open(server.log_file, "ab") as log:
            log.write(("--- %s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), shlex.join(server.command))).encode())
            log.flush()
            started[server.name] = subprocess.Popen(server.command, cwd=REPO_ROOT, env=environment,
                                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                                    start_new_session=True, close_fds=True)
        hosts.write_file(server.pid_file, "%d\n" % started[server.name].pid)
    deadline = time.monotonic() + SERVER_WAIT_SECONDS
    waiting = [server for server in servers if server.name in started]
    while waiting:
        for server in list(waiting):
            if server.answers():
                waiting.remove(server)
                progress("%s server up on %s port %d" % (server.title, " and ".join(server.addresses), server.port))
            elif started[server.name].poll() is not None:
                raise LabError("Failed to start the %s server: it exited with %d; %s"
                               % (server.name, started[server.name].returncode, log_tail(server.log_file)))
        if waiting and time.monotonic() > deadline:
            raise LabError("Failed to start the %s server: port %d not open within %.0fs; %s"
                           % (waiting[0].name, waiting[0].port, SERVER_WAIT_SECONDS, log_tail(waiting[0].log_file)))
        if waiting:
            time.sleep(0.1)


def stop_servers(servers: Iterable[Server]) -> None:
    """Stop each server's whole process group (SIGTERM, then SIGKILL after a bounded wait); drop the pid files.

    Only pid files that still name a live process running the server's program count, so a recycled pid is
    never signalled.
    """
    groups = []
    for server in servers:
        pid = server.pid()
        if pid:
            signal_group(pid, signal.SIGTERM)
            groups.append(pid)
        server.pid_file.unlink(missing_ok=True)
    deadline = time.monotonic() + STOP_WAIT_SECONDS
    while any(group_alive(group) for group in groups) and time.monotonic() < deadline:
        time.sleep(0.05)
    for group in groups:
        if group_alive(group):
            signal_group(group, signal.SIGKILL)


def signal_group(group: int, signal_number: int) -> None:
    try:
        os.killpg(group, signal_number)
    except ProcessLookupError:
        pass


def group_alive(group: int) -> bool:
    """True while any non-zombie process belongs to process group GROUP."""
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z" and int(fields[2]) == group:
                return True
    return False


def log_tail(path: pathlib.Path, lines: int = 5) -> str:
    try:
        tail = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:]
    except OSError:
        return "no log at %s" % path
    return "last lines of %s: %s" % (path, " | ".join(tail) or "(empty)")


def run_program(program: pathlib.Path, arguments: list[str], what: str) -> None:
    """Run a lab program with the venv's Python; its output goes to a log under STATE_DIR/logs."""
    log_path = state_path("logs", program.stem + ".log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        result = subprocess.run([str(VENV_PYTHON), str(program), *arguments], cwd=REPO_ROOT, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False)
    if result.returncode != 0:
        raise LabError("Failed to %s: %s exited with %d; %s"
                       % (what, program.relative_to(REPO_ROOT), result.returncode, log_tail(log_path)))


def ensure_kube_pki() -> bool:
    """Create the TLS files and kubeconfig when missing or older than their program; True when (re)made."""
    kubeconfig = state_path("kube", "kubeconfig")
    if not PKI_PROGRAM.exists():
        warn("skipping TLS and kubeconfig: %s is missing" % PKI_PROGRAM.relative_to(REPO_ROOT))
        return False
    if kubeconfig.exists() and kubeconfig.stat().st_mtime >= PKI_PROGRAM.stat().st_mtime:
        return False
    run_program(PKI_PROGRAM, [str(state_path("kube"))], "create the lab's TLS files and kubeconfig")
    progress("TLS files and kubeconfig written to %s" % state_path("kube"))
    return True


# --- files served to the hosts -----------------------------------------------------------------------------------


def sha256_of(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def nodeadm_path(www: pathlib.Path, architecture: str) -> pathlib.Path:
    return www / "releases" / labconfig.NODEADM_VERSION / "bin" / "linux" / architecture / "nodeadm"


def www_is_current() -> bool:
    www = state_path("www")
    if NODEADM_SOURCE.exists():
        wanted = sha256_of(NODEADM_SOURCE)
        for architecture in NODEADM_ARCHITECTURES:
            served = nodeadm_path(www, architecture)
            if not served.exists() or sha256_of(served) != wanted:
                return False
    if CHARTS_PROGRAM.exists() and not (www / "charts" / "index.yaml").exists():
        return False
    return www.is_dir()


def build_www() -> None:
    """Fill STATE_DIR/www from scratch (nodeadm releases and the chart repository), then swap it in."""
    www, fresh, old = state_path("www"), state_path("www.new"), state_path("www.old")
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    fresh.mkdir(parents=True)
    if NODEADM_SOURCE.exists():
        digest = sha256_of(NODEADM_SOURCE)
        for architecture in NODEADM_ARCHITECTURES:
            target = nodeadm_path(fresh, architecture)
            target.parent.mkdir(parents=True)
            shutil.copyfile(NODEADM_SOURCE, target)
            os.chmod(target, 0o755)
            (target.parent / "nodeadm.sha256").write_text("%s  nodeadm\n" % digest, encoding="utf-8")
        (fresh / "releases" / "latest").symlink_to(labconfig.NODEADM_VERSION)
    else:
        warn("not serving nodeadm: %s is missing" % NODEADM_SOURCE.relative_to(REPO_ROOT))
    if CHARTS_PROGRAM.exists():
        run_program(CHARTS_PROGRAM, [str(fresh / "charts"), labconfig.FILES_URL + "/charts"],
                    "build the chart repository")
    else:
        warn("not serving charts: %s is missing" % CHARTS_PROGRAM.relative_to(REPO_ROOT))
    if www.exists():
        os.rename(www, old)
    os.rename(fresh, www)
    shutil.rmtree(old, ignore_errors=True)
    progress("files for the hosts ready in %s" % www)


class QuietFileHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with one short log line per request."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".sha256": "text/plain", ".yaml": "application/yaml", ".tgz": "application/gzip"}

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002  (the base class's name)
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))


def serve_files(arguments: argparse.Namespace) -> int:
    """Serve DIRECTORY on every --bind address until killed (SIGTERM's default action is the way to stop it)."""
    handler = functools.partial(QuietFileHandler, directory=arguments.directory)
    servers = [http.server.ThreadingHTTPServer((address, arguments.port), handler) for address in arguments.bind]
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()
    return 0


# --- files for the controller -----------------------------------------------------------------------------------


def load_options() -> dict:
    try:
        return json.loads(state_path("lab.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_options(options: dict) -> None:
    hosts.write_file(state_path("lab.json"), json.dumps(options, indent=2, sort_keys=True) + "\n")


def inventory(lab_hosts: list[Host], outside_in_group: bool) -> dict:
    connection = {
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(hosts.ssh_key_path()),
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        "ansible_python_interpreter": "/usr/bin/python3",
    }
    inside = [host for host in lab_hosts if not host.outside or outside_in_group]
    outside = [host for host in lab_hosts if host.outside]
    return {"all": {"children": {
        "hybrid_nodes": {"hosts": {host.name: {"ansible_host": host.address} for host in inside},
                         "vars": dict(connection)},
        "lab_outside": {"hosts": {host.name: {"ansible_host": host.address} for host in outside},
                        "vars": dict(connection)},
    }}}


def lab_vars() -> dict:
    """Facts about the lab for playbooks and tests (only the parts that exist)."""
    facts = {
        "lab_state_dir": str(state_path()),
        "lab_cluster_name": labconfig.CLUSTER_NAME,
        "lab_region": labconfig.REGION,
        "lab_account_id": labconfig.ACCOUNT_ID,
        "lab_hybrid_role_arn": labconfig.HYBRID_ROLE_ARN,
        "lab_remote_node_networks": labconfig.REMOTE_NODE_NETWORKS,
        "lab_remote_pod_networks": labconfig.REMOTE_POD_NETWORKS,
        "lab_aws_endpoint": labconfig.AWS_ENDPOINT,
        "lab_aws_endpoint_for_hosts": labconfig.AWS_ENDPOINT_FOR_HOSTS,
        "lab_kube_endpoint": labconfig.KUBE_ENDPOINT,
        "lab_kubeconfig": str(state_path("kube", "kubeconfig")),
        "lab_kube_ca": str(state_path("kube", "ca.crt")),
        "lab_files_url": labconfig.FILES_URL,
        "lab_helm_binary": str(HELM_BINARY),
        "lab_kubectl_binary": str(KUBECTL_BINARY),
        "lab_ssh_private_key_file": str(hosts.ssh_key_path()),
    }
    served = nodeadm_path(state_path("www"), "amd64")
    if served.exists():
        base = "%s/releases/%s/bin/linux" % (labconfig.FILES_URL, labconfig.NODEADM_VERSION)
        facts.update({
            "lab_nodeadm_version": labconfig.NODEADM_VERSION,
            "lab_nodeadm_url": base + "/amd64/nodeadm",
            "lab_nodeadm_urls": {architecture: "%s/%s/nodeadm" % (base, architecture)
                                 for architecture in NODEADM_ARCHITECTURES},
            "lab_nodeadm_sha256": sha256_of(served),
        })
    if state_path("www", "charts", "index.yaml").exists():
        facts.update({"lab_chart_repo_url": labconfig.FILES_URL + "/charts",
                      "lab_cilium_chart_version": labconfig.CILIUM_CHART_VERSION})
    return facts


def lab_env(lab_hosts: list[Host]) -> str:
    environment = server_environment(lab_hosts)
    del environment["MOTO_IAM_LOAD_MANAGED_POLICIES"]
    environment.update({
        "AWS_ENDPOINT_URL": labconfig.AWS_ENDPOINT,
        "KUBECONFIG": str(state_path("kube", "kubeconfig")),
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH),
        "EKS_HYBRID_LAB_STATE": str(state_path()),
        "EKS_HYBRID_LAB_HELM": str(HELM_BINARY),
    })
    lines = ["# Source me: the controller's view of the lab (fake AWS credentials, fail-closed proxy)."]
    lines += ["export %s=%s" % (name, shlex.quote(value)) for name, value in sorted(environment.items())]
    return "\n".join(lines) + "\n"


def to_yaml(data: object) -> str:
    import yaml  # PyYAML: in the venv and in the system Python here

    return "---\n" + yaml.safe_dump(data, default_flow_style=False, sort_keys=False)


def controller_files(lab_hosts: list[Host], outside_in_group: bool) -> dict[pathlib.Path, str]:
    return {
        state_path("inventory.yml"): to_yaml(inventory(lab_hosts, outside_in_group)),
        state_path("lab-vars.yml"): to_yaml(lab_vars()),
        state_path("lab.env"): lab_env(lab_hosts),
    }


def controller_files_current(files: dict[pathlib.Path, str]) -> bool:
    try:
        return all(path.read_text(encoding="utf-8") == content for path, content in files.items())
    except OSError:
        return False


def write_controller_files(lab_hosts: list[Host], outside_in_group: bool) -> None:
    for path, content in controller_files(lab_hosts, outside_in_group).items():
        hosts.write_file(path, content, mode=0o600 if path.name == "lab.env" else 0o644)


# --- commands ----------------------------------------------------------------------------------------------------


def require_root_and_tools(*tools: str) -> None:
    if os.geteuid() != 0:
        raise LabError("Failed to run labctl: it must run as root (namespaces, mounts and bridges)")
    missing = [tool for tool in ("ip", "unshare", "chroot", "mount", "ssh-keygen", *tools) if not shutil.which(tool)]
    if missing:
        raise LabError("Failed to run labctl: missing %s; run lab/deps.sh" % ", ".join(missing))


def runnable_servers() -> list[Server]:
    """The lab servers whose program and inputs exist; a warning names what each of the others lacks."""
    runnable = []
    for server in lab_servers():
        missing = server.missing()
        if missing:
            warn("skipping the %s server: %s missing"
                 % (server.name, ", ".join(str(path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT)
                                               else path) for path in missing)))
        else:
            runnable.append(server)
    return runnable


def lab_is_healthy(wanted: list[Host], with_servers: bool, outside_in_group: bool) -> bool:
    if not hosts.bridge_is_up(labconfig.BRIDGE, labconfig.BRIDGE_IP):
        return False
    if any(host.outside for host in wanted):
        if not hosts.bridge_is_up(labconfig.OUTSIDE_BRIDGE, labconfig.OUTSIDE_BRIDGE_IP):
            return False
    elif hosts.link_exists(labconfig.OUTSIDE_BRIDGE):
        return False
    if hosts.existing_hosts() != wanted or any(hosts.host_state(host) != "up" for host in wanted):
        return False
    if with_servers:
        if not www_is_current() or (PKI_PROGRAM.exists() and not state_path("kube", "kubeconfig").exists()):
            return False
        servers = [server for server in lab_servers() if not server.missing()]
        if any(not (server.pid() and server.answers()) for server in servers):
            return False
    return controller_files_current(controller_files(wanted, outside_in_group))


def bring_hosts_up(wanted: list[Host]) -> None:
    """Make the running hosts exactly WANTED: drop extra or broken ones, start the missing ones."""
    current = hosts.existing_hosts()
    broken_or_extra = [host for host in current if host not in wanted or hosts.host_state(host) != "up"]
    if broken_or_extra:
        hosts.stop_hosts(broken_or_extra)
        progress("removed hosts %s" % ", ".join(host.name for host in broken_or_extra))
    missing = [host for host in wanted if host not in current or host in broken_or_extra]
    if not missing:
        return
    rootfs = hosts.ensure_rootfs(progress)
    public_key = hosts.ensure_ssh_key().with_suffix(".pub").read_text(encoding="utf-8")
    hosts.ensure_bridge(labconfig.BRIDGE, labconfig.BRIDGE_IP)
    if any(host.outside for host in missing):
        hosts.ensure_bridge(labconfig.OUTSIDE_BRIDGE, labconfig.OUTSIDE_BRIDGE_IP)
    started = time.monotonic()
    for host in missing:
        hosts.start_host(host, rootfs, public_key)
    hosts.wait_for_sshd(missing)
    names = ", ".join("%s %s" % (host.name, host.address) for host in missing)
    progress("hosts up in %.1fs: %s" % (time.monotonic() - started, names))


def command_up(arguments: argparse.Namespace) -> int:
    require_root_and_tools("debootstrap")
    if not 0 < arguments.hosts <= hosts.max_hosts_per_bridge() or not 0 <= arguments.outside <= 100:
        raise LabError("Failed to bring the lab up: --hosts must be 1..%d and --outside 0..100"
                       % hosts.max_hosts_per_bridge())
    wanted = ([Host(outside=False, index=index) for index in range(1, arguments.hosts + 1)]
              + [Host(outside=True, index=index) for index in range(1, arguments.outside + 1)])
    with_servers = not arguments.no_servers
    started = time.monotonic()
    with hosts.lab_lock():
        hosts.check_lab_owner("bring the lab up")
        if hosts.existing_hosts() and not hosts.rootfs_is_current():
            warn("the hosts run on an outdated root filesystem; `labctl down` then `up` rebuilds it")
        if lab_is_healthy(wanted, with_servers, arguments.outside_in_group):
            progress("already up and healthy with %s; nothing changed" % ", ".join(host.name for host in wanted))
            return 0
        pathlib.Path(labconfig.STATE_DIR).mkdir(parents=True, exist_ok=True)
        hosts.claim_lab()
        save_options({"outside_in_group": arguments.outside_in_group, "servers": with_servers})
        bring_hosts_up(wanted)
        if not any(host.outside for host in wanted) and hosts.link_exists(labconfig.OUTSIDE_BRIDGE):
            subprocess.run(["ip", "link", "delete", labconfig.OUTSIDE_BRIDGE], capture_output=True, check=False)
        if with_servers:
            if not VENV_PYTHON.exists():
                raise LabError("Failed to start the lab servers: no %s; run lab/deps.sh" % VENV_PYTHON)
            if ensure_kube_pki():  # servers still running hold the old certificates
                stop_servers([server for server in lab_servers() if server.name in ("kube", "aws")])
            if not www_is_current():
                build_www()
            start_servers(runnable_servers(), wanted)
        else:
            stop_servers(lab_servers())
        write_controller_files(wanted, arguments.outside_in_group)
    progress("up in %.1fs; inventory %s, vars %s; for a shell: source %s"
             % (time.monotonic() - started, state_path("inventory.yml"), state_path("lab-vars.yml"),
                state_path("lab.env")))
    return 0


def command_down(_arguments: argparse.Namespace) -> int:
    require_root_and_tools()
    started = time.monotonic()
    with hosts.lab_lock():
        hosts.check_lab_owner("take the lab down")
        stop_servers(lab_servers())
        hosts.teardown_all()
        for leftover in ("www", "www.new", "www.old", "inventory.yml", "lab-vars.yml", "lab.env", "lab.json"):
            path = state_path(leftover)
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        pids = state_path("pids")
        if pids.is_dir():
            for stale in pids.glob("*.pid"):
                stale.unlink()
            pids.rmdir()
        hosts.release_lab()
    progress("down in %.1fs (kept %s: ssh key, TLS files, logs)" % (time.monotonic() - started, state_path()))
    return 0


def command_status(_arguments: argparse.Namespace) -> int:
    """Print one row per component; exit 0 only when the bridge, every host and every installed server are up."""
    with_servers = load_options().get("servers", True)
    rows = []
    for bridge, address in ((labconfig.BRIDGE, labconfig.BRIDGE_IP),
                            (labconfig.OUTSIDE_BRIDGE, labconfig.OUTSIDE_BRIDGE_IP)):
        state = "up" if hosts.bridge_is_up(bridge, address) else "absent"
        rows.append(("bridge " + bridge, state, "%s/%d" % (address, labconfig.BRIDGE_PREFIX)))
    lab_hosts = hosts.existing_hosts()
    host_rows = [("host " + host.name, hosts.host_state(host), host.address) for host in lab_hosts]
    server_rows = [(server.name + " server", server_state(server), "%s:%d" % (",".join(server.addresses), server.port))
                   for server in lab_servers()]
    rows += host_rows + server_rows
    table = [("component", "state", "address")] + rows
    widths = [max(len(row[column]) for row in table) for column in range(3)]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    needed = rows[:1] + host_rows + (server_rows if with_servers else [])
    healthy = bool(host_rows) and all(state == "up" or state.startswith(("not installed", "skipped"))
                                      for _, state, _ in needed)
    return 0 if healthy else 1


def server_state(server: Server) -> str:
    if server.pid():
        return "up" if server.answers() else "not answering"
    missing = server.missing()
    if server.program in missing:
        return "not installed"
    return "skipped: no %s" % missing[0].name if missing else "stopped"


def command_reset_hosts(_arguments: argparse.Namespace) -> int:
    require_root_and_tools()
    with hosts.lab_lock():
        hosts.check_lab_owner("reset the hosts")
        lab_hosts = hosts.existing_hosts()
        if not lab_hosts:
            raise LabError("Failed to reset the hosts: the lab has no hosts; run labctl up")
        started = time.monotonic()
        hosts.stop_hosts(lab_hosts)
        bring_hosts_up(lab_hosts)
    progress("hosts reset in %.1fs; servers kept" % (time.monotonic() - started))
    return 0


def command_add_host(arguments: argparse.Namespace) -> int:
    require_root_and_tools()
    with hosts.lab_lock():
        hosts.check_lab_owner("add a host")
        lab_hosts = hosts.existing_hosts()
        if not lab_hosts:
            raise LabError("Failed to add a host: the lab is not up; run labctl up")
        index = 1 + max((host.index for host in lab_hosts if host.outside == arguments.outside), default=0)
        new_host = Host(outside=arguments.outside, index=index)
        bring_hosts_up(sorted(lab_hosts + [new_host]))
        options = load_options()
        write_controller_files(hosts.existing_hosts(), options.get("outside_in_group", False))
    print(new_host.name)
    return 0


def command_ssh(arguments: argparse.Namespace) -> int:
    host = hosts.host_from_name(arguments.name)
    if host not in hosts.existing_hosts():
        raise LabError("Failed to ssh to %s: the lab has no such host (see labctl status)" % host.name)
    if not hosts.ssh_key_path().exists():
        raise LabError("Failed to ssh to %s: no lab key at %s; run labctl up" % (host.name, hosts.ssh_key_path()))
    remote = arguments.remote[1:] if arguments.remote[:1] == ["--"] else arguments.remote
    os.execvp("ssh", hosts.ssh_command(host, *remote))
    return 1  # not reached


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="labctl", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    up = commands.add_parser("up", help="bring the lab up (idempotent)")
    up.add_argument("--hosts", type=int, default=3, help="hosts inside the remote node network (default 3)")
    up.add_argument("--outside", type=int, default=0, help="hosts outside every remote node network (default 0)")
    up.add_argument("--outside-in-group", action="store_true", help="list outside hosts in hybrid_nodes too")
    up.add_argument("--no-servers", action="store_true", help="hosts only: no AWS, Kubernetes or file server")
    up.set_defaults(handler=command_up)
    commands.add_parser("down", help="stop and remove everything the lab started").set_defaults(handler=command_down)
    commands.add_parser("status", help="show each component (exit 1 unless all are up)").set_defaults(
        handler=command_status)
    commands.add_parser("reset-hosts", help="fresh root filesystems and sshd for the hosts; servers kept"
                        ).set_defaults(handler=command_reset_hosts)
    add_host = commands.add_parser("add-host", help="add one host and print its name")
    add_host.add_argument("--outside", action="store_true", help="on the outside bridge")
    add_host.set_defaults(handler=command_add_host)
    ssh = commands.add_parser("ssh", help="run a command on a host as root: ssh NAME -- CMD")
    ssh.add_argument("name")
    ssh.add_argument("remote", nargs=argparse.REMAINDER)
    ssh.set_defaults(handler=command_ssh)
    files = commands.add_parser("serve-files", help="(internal) the lab's static file server")
    files.add_argument("--bind", action="append", required=True)
    files.add_argument("--port", type=int, required=True)
    files.add_argument("--directory", required=True)
    files.set_defaults(handler=serve_files)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        return arguments.handler(arguments)
    except LabError as error:
        print("labctl: %s" % error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("labctl: interrupted; run `labctl down` to clean up", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
