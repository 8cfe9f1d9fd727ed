"""The lab's machines: network namespaces, each with its own root filesystem, hostname and sshd.

One Debian root filesystem is built once with debootstrap into labconfig.CACHE_DIR/rootfs and dressed
as Ubuntu 24.04 (nodeadm supports Ubuntu, RHEL and AL2023 only). Every host mounts an overlay over it,
so what one host writes stays on that host. A host is a network namespace with a veth into one of the
lab's bridges, an address on the lab's subnet and no default route, so it can reach the lab and
nothing else. sshd runs chrooted into the overlay, under its own UTS, mount and PID namespaces.

Tear-down only touches what the lab created: namespaces named labconfig.NETNS_PREFIX*, links named
after that prefix or the two lab bridges, mounts under STATE_DIR/hosts and processes living in those
namespaces or chrooted under STATE_DIR/hosts.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import fcntl
import hashlib
import ipaddress
import json
import os
import pathlib
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator

import labconfig

Progress = Callable[[str], None]

DEBIAN_SUITE = "bookworm"
ROOTFS_PACKAGES = ("openssh-server", "python3", "python3-yaml", "sudo", "iproute2", "ca-certificates", "ufw")
# Bump when the way the root filesystem is dressed changes in a way its file contents do not show.
ROOTFS_FORMAT = 1
ROOTFS_STAMP_FILE = "etc/eks-hybrid-lab/rootfs-stamp"
LOCK_FILE = "/run/lock/eks-hybrid-lab.lock"
OWNER_FILE = "/run/lock/eks-hybrid-lab.state-dir"  # which state dir the lab that is up belongs to
SSHD_WAIT_SECONDS = 15.0
KILL_WAIT_SECONDS = 5.0
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>

OS_RELEASE = """\
PRETTY_NAME="Ubuntu 24.04 LTS (EKS hybrid nodes lab host)"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=noble
LOGO=ubuntu-logo
"""
LSB_RELEASE = """\
DISTRIB_ID=Ubuntu
DISTRIB_RELEASE=24.04
DISTRIB_CODENAME=noble
DISTRIB_DESCRIPTION="Ubuntu 24.04 LTS (EKS hybrid nodes lab host)"
"""
SSHD_CONFIG = """\
# Lab hosts: root by key only, one ed25519 host key generated per host.
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
HostKey /etc/ssh/ssh_host_ed25519_key
MaxStartups 100:30:200
"""
RESOLV_CONF = "# EKS hybrid nodes lab host: no name servers; the lab is reached by address only.\n"
# Device nodes a chrooted sshd and its sessions need: name -> (major, minor).
DEVICE_NODES = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8), "urandom": (1, 9), "tty": (5, 0)}


class LabError(RuntimeError):
    """A lab step failed; the message says which step and why."""


@dataclasses.dataclass(frozen=True, order=True)
class Host:
    """One lab machine. Inside hosts sit on the lab bridge, outside hosts on the outside bridge."""

    outside: bool
    index: int

    @property
    def name(self) -> str:
        return "lab-%s-%d" % ("outside" if self.outside else "node", self.index)

    @property
    def bridge(self) -> str:
        return labconfig.OUTSIDE_BRIDGE if self.outside else labconfig.BRIDGE

    @property
    def gateway(self) -> str:
        return labconfig.OUTSIDE_BRIDGE_IP if self.outside else labconfig.BRIDGE_IP

    @property
    def address(self) -> str:
        network = _subnet(self.gateway)
        return str(network.network_address + labconfig.HOST_IP_BASE + self.index - 1)

    @property
    def netns(self) -> str:
        return labconfig.NETNS_PREFIX + self.name

    @property
    def veth(self) -> str:
        """Root-namespace end of the host's veth pair; the namespace end is always eth0."""
        return "%s%s%d" % (labconfig.NETNS_PREFIX, "o" if self.outside else "n", self.index)

    @property
    def state_dir(self) -> pathlib.Path:
        return hosts_dir() / self.name

    @property
    def root(self) -> pathlib.Path:
        return self.state_dir / "root"

    @property
    def pid_file(self) -> pathlib.Path:
        return pids_dir() / ("host-%s.pid" % self.name)

    @property
    def log_file(self) -> pathlib.Path:
        return logs_dir() / ("host-%s-sshd.log" % self.name)


HOST_NAME_PATTERN = re.compile(r"^lab-(node|outside)-([1-9][0-9]*)$")


def host_from_name(name: str) -> Host:
    """The Host called NAME (lab-node-N or lab-outside-N)."""
    match = HOST_NAME_PATTERN.match(name)
    if not match:
        raise LabError("Failed to find host %r: lab hosts are named lab-node-N or lab-outside-N" % name)
    return Host(outside=match.group(1) == "outside", index=int(match.group(2)))


def max_hosts_per_bridge() -> int:
    return _subnet(labconfig.BRIDGE_IP).num_addresses - 1 - labconfig.HOST_IP_BASE


def _subnet(gateway: str) -> ipaddress.IPv4Network:
    return ipaddress.ip_network("%s/%d" % (gateway, labconfig.BRIDGE_PREFIX), strict=False)


def lab_subnet() -> str:
    return str(_subnet(labconfig.BRIDGE_IP))


def state_dir() -> pathlib.Path:
    return pathlib.Path(labconfig.STATE_DIR)


def hosts_dir() -> pathlib.Path:
    return state_dir() / "hosts"


def pids_dir() -> pathlib.Path:
    return state_dir() / "pids"


def logs_dir() -> pathlib.Path:
    return state_dir() / "logs"


def ssh_key_path() -> pathlib.Path:
    return state_dir() / "ssh" / "id_ed25519"


def rootfs_dir() -> pathlib.Path:
    return pathlib.Path(labconfig.CACHE_DIR) / "rootfs"


# --- small helpers -----------------------------------------------------------------------------------------------


def run(command: list[str], what: str, stdin: str | None = None) -> str:
    """Run COMMAND; raise LabError("Failed to WHAT: <stderr>") when it fails. Returns stdout."""
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False)
    except OSError as error:
        raise LabError("Failed to %s: %s" % (what, error)) from error
    if result.returncode != 0:
        cause = (result.stderr or result.stdout).strip() or "exit code %d" % result.returncode
        raise LabError("Failed to %s: %s" % (what, cause))
    return result.stdout


@contextlib.contextmanager
def lab_lock(timeout: float = 300.0) -> Iterator[None]:
    """Serialise lab changes machine-wide: bridges and namespaces have fixed names."""
    pathlib.Path(LOCK_FILE).parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK_FILE, "a", encoding="utf-8") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LabError("Failed to lock the lab: another labctl still holds %s" % LOCK_FILE) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def lab_owner() -> str | None:
    """State dir of the lab whose bridges and namespaces are up on this machine, if any."""
    if not (lab_namespaces() or link_exists(labconfig.BRIDGE) or link_exists(labconfig.OUTSIDE_BRIDGE)):
        return None
    try:
        return pathlib.Path(OWNER_FILE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def check_lab_owner(action: str) -> None:
    """Refuse to ACTION when the lab that is up was brought up from another state dir (names are global)."""
    owner = lab_owner()
    if owner and owner != str(state_dir()):
        raise LabError("Failed to %s: the lab on this machine belongs to state dir %s; run "
                       "`EKS_HYBRID_LAB_STATE=%s lab/labctl.py down` first" % (action, owner, owner))


def claim_lab() -> None:
    write_file(pathlib.Path(OWNER_FILE), str(state_dir()) + "\n")


def release_lab() -> None:
    pathlib.Path(OWNER_FILE).unlink(missing_ok=True)


def write_file(path: pathlib.Path, content: str, mode: int = 0o644) -> None:
    """Write CONTENT to PATH through a temporary file, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(".%s.tmp" % path.name)
    temporary.write_text(content, encoding="utf-8")
    os.chmod(temporary, mode)
    os.replace(temporary, path)


def read_pid(pid_file: pathlib.Path) -> int | None:
    try:
        return int(pid_file.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int | None) -> bool:
    """True when PID runs (zombies count as gone)."""
    if not pid:
        return False
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _unescape_mount_path(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda match: chr(int(match.group(1), 8)), field)


def mount_points() -> list[tuple[str, str]]:
    """(mount point, super options) of every mount in this mount namespace, in mount order."""
    mounts = []
    with open("/proc/self/mountinfo", encoding="utf-8") as mountinfo:
        for line in mountinfo:
            fields = line.split()
            separator = fields.index("-")
            mounts.append((_unescape_mount_path(fields[4]), fields[separator + 3]))
    return mounts


def mounts_under(path: pathlib.Path) -> list[str]:
    """Mount points at or below PATH, deepest first."""
    prefix = str(path).rstrip("/")
    found = {point for point, _ in mount_points() if point == prefix or point.startswith(prefix + "/")}
    return sorted(found, key=lambda point: point.count("/"), reverse=True)


def unmount_all_under(path: pathlib.Path) -> None:
    """Unmount everything at or below PATH, deepest first; lazily when a mount is busy."""
    for _ in range(3):
        points = mounts_under(path)
        if not points:
            return
        for point in points:
            if subprocess.run(["umount", point], capture_output=True, check=False).returncode != 0:
                subprocess.run(["umount", "-l", point], capture_output=True, check=False)
    remaining = mounts_under(path)
    if remaining:
        raise LabError("Failed to unmount %s: still mounted: %s" % (path, ", ".join(remaining)))


def remove_tree(path: pathlib.Path) -> None:
    """Delete PATH, but never through a mount: unmount first and refuse if anything stays mounted."""
    if not path.exists() and not path.is_symlink():
        return
    unmount_all_under(path)
    shutil.rmtree(path)


# --- root filesystem ---------------------------------------------------------------------------------------------


def debian_mirror() -> tuple[str, str | None]:
    """(mirror URL, keyring or None) of the apt source this machine already uses for DEBIAN_SUITE."""
    sources_dir = pathlib.Path("/etc/apt/sources.list.d")
    candidates = [pathlib.Path("/etc/apt/sources.list")]
    if sources_dir.is_dir():
        candidates += sorted(sources_dir.glob("*.list")) + sorted(sources_dir.glob("*.sources"))
    for path in candidates:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        found = _mirror_in_deb822(text) if path.suffix == ".sources" else _mirror_in_one_line_format(text)
        if found:
            return found
    raise LabError("Failed to find a Debian mirror: no 'deb' source for %s in /etc/apt/sources.list(.d)" % DEBIAN_SUITE)


def _mirror_in_deb822(text: str) -> tuple[str, str | None] | None:
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[0].isspace():
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.strip()
        if fields.get("enabled", "yes").lower() == "no":
            continue
        if "deb" in fields.get("types", "").split() and DEBIAN_SUITE in fields.get("suites", "").split():
            keyring = fields.get("signed-by")
            return fields["uris"].split()[0], keyring if keyring and keyring.startswith("/") else None
    return None


def _mirror_in_one_line_format(text: str) -> tuple[str, str | None] | None:
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        options: dict[str, str] = {}
        if words[1].startswith("["):
            closing = next(position for position, word in enumerate(words) if word.endswith("]"))
            for option in " ".join(words[1:closing + 1]).strip("[]").split():
                key, _, value = option.partition("=")
                options[key] = value
            words = [words[0]] + words[closing + 1:]
        if len(words) >= 3 and words[2] == DEBIAN_SUITE:
            return words[1], options.get("signed-by")
    return None


def _rootfs_files() -> dict[str, str]:
    """Files the lab writes into the cached root filesystem, by path relative to its root."""
    endpoints = json.dumps({"aws": labconfig.AWS_ENDPOINT_FOR_HOSTS}, indent=2) + "\n"
    return {
        "etc/os-release": OS_RELEASE,
        "usr/lib/os-release": OS_RELEASE,
        "etc/lsb-release": LSB_RELEASE,
        "etc/ssh/sshd_config.d/eks-hybrid-lab.conf": SSHD_CONFIG,
        "etc/resolv.conf": RESOLV_CONF,
        "etc/eks-hybrid-lab/endpoints.json": endpoints,
    }


def rootfs_stamp() -> str:
    """Version of the root filesystem the current code wants; any change rebuilds it."""
    recipe = json.dumps({"format": ROOTFS_FORMAT, "suite": DEBIAN_SUITE, "variant": "minbase",
                         "packages": ROOTFS_PACKAGES, "files": _rootfs_files()}, sort_keys=True)
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


def rootfs_is_current() -> bool:
    try:
        return (rootfs_dir() / ROOTFS_STAMP_FILE).read_text(encoding="utf-8").strip() == rootfs_stamp()
    except OSError:
        return False


def ensure_rootfs(progress: Progress) -> pathlib.Path:
    """Return the cached root filesystem, building it first when missing or stale."""
    rootfs = rootfs_dir()
    if rootfs_is_current():
        return rootfs
    if any(str(rootfs) in options for _, options in mount_points()):
        raise LabError("Failed to rebuild the host root filesystem: lab hosts still use %s; run labctl down first"
                       % rootfs)
    if not shutil.which("debootstrap"):
        raise LabError("Failed to build the host root filesystem: debootstrap is missing; run lab/deps.sh")
    cache = rootfs.parent
    cache.mkdir(parents=True, exist_ok=True)
    for leftover in list(cache.glob("rootfs.build-*")) + list(cache.glob("rootfs.old-*")):
        remove_tree(leftover)
    mirror, keyring = debian_mirror()
    build = pathlib.Path(tempfile.mkdtemp(prefix="rootfs.build-", dir=cache))
    os.chmod(build, 0o755)
    log_path = cache / "rootfs-build.log"
    progress("building the host root filesystem once (debootstrap %s from %s; log %s)"
             % (DEBIAN_SUITE, mirror, log_path))
    started = time.monotonic()
    # Private mount and PID namespaces: if debootstrap dies, the /proc and /sys it mounted in the target go with
    # it; and if labctl dies, unshare gets SIGKILL and takes debootstrap and all its children down too.
    command = ["unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child",
               "debootstrap", "--variant=minbase", "--include=" + ",".join(ROOTFS_PACKAGES)]
    if keyring:
        command.append("--keyring=" + keyring)
    command += [DEBIAN_SUITE, str(build), mirror]
    with open(log_path, "w", encoding="utf-8") as log:
        returncode = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    preexec_fn=_die_with_parent, check=False).returncode
    if returncode != 0:
        remove_tree(build)
        raise LabError("Failed to build the host root filesystem: debootstrap exited with %d; see %s"
                       % (returncode, log_path))
    _dress_rootfs(build)
    old = cache / ("rootfs.old-%d" % os.getpid())
    if rootfs.exists():
        os.rename(rootfs, old)
    os.rename(build, rootfs)
    remove_tree(old)
    progress("host root filesystem ready in %.0fs at %s" % (time.monotonic() - started, rootfs))
    return rootfs


def _die_with_parent() -> None:
    """In a child before exec: have the kernel send SIGKILL to it when its parent (labctl) dies."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def _dress_rootfs(root: pathlib.Path) -> None:
    """Turn a fresh debootstrap tree into the lab's host image (Ubuntu-looking, key-only sshd)."""
    for host_key in (root / "etc/ssh").glob("ssh_host_*"):
        host_key.unlink()  # every host gets its own
    for relative, content in _rootfs_files().items():
        target = root / relative
        if target.is_symlink():
            target.unlink()  # /etc/os-release and /etc/resolv.conf may be links
        write_file(target, content)
    shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
    (root / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)
    write_file(root / ROOTFS_STAMP_FILE, rootfs_stamp() + "\n")


# --- ssh ---------------------------------------------------------------------------------------------------------


def ensure_ssh_key() -> pathlib.Path:
    """The controller's key pair for root on every host; created once per state dir."""
    key = ssh_key_path()
    if not key.exists() or not key.with_suffix(".pub").exists():
        key.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        for stale in (key, key.with_suffix(".pub")):
            stale.unlink(missing_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "eks-hybrid-lab", "-f", str(key)],
            "create the lab ssh key %s" % key)
    return key


def ssh_command(host: Host, *remote: str) -> list[str]:
    """ssh command line that runs REMOTE on HOST as root with the lab key."""
    return ["ssh", "-i", str(ssh_key_path()), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
            "root@" + host.address, *remote]


def sshd_answers(address: str, timeout: float = 1.0) -> bool:
    """True when an SSH server greets on ADDRESS port 22."""
    try:
        with socket.create_connection((address, 22), timeout=timeout) as connection:
            return connection.recv(8).startswith(b"SSH-")
    except OSError:
        return False


# --- network -----------------------------------------------------------------------------------------------------


def link_exists(name: str) -> bool:
    return pathlib.Path("/sys/class/net", name).exists()


def lab_namespaces() -> list[str]:
    """Network namespaces the lab created (by prefix)."""
    output = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    names = [line.split()[0] for line in output.splitlines() if line.strip()]
    return [name for name in names if name.startswith(labconfig.NETNS_PREFIX)]


def bridge_is_up(name: str, address: str) -> bool:
    output = subprocess.run(["ip", "-o", "-4", "addr", "show", "dev", name], capture_output=True, text=True,
                            check=False).stdout
    return " %s/%d " % (address, labconfig.BRIDGE_PREFIX) in output


def ensure_bridge(name: str, address: str) -> None:
    """Create bridge NAME with ADDRESS/24 unless it is already there."""
    if bridge_is_up(name, address):
        return
    if link_exists(name):
        subprocess.run(["ip", "link", "delete", name], capture_output=True, check=False)
    commands = ("link add %s type bridge\naddr add %s/%d dev %s\nlink set %s up\n"
                % (name, address, labconfig.BRIDGE_PREFIX, name, name))
    run(["ip", "-batch", "-"], "create the lab bridge %s" % name, stdin=commands)


# --- hosts -------------------------------------------------------------------------------------------------------


def existing_hosts() -> list[Host]:
    """Hosts that have any trace of being up: a namespace, a state dir or a pid file."""
    names = {namespace[len(labconfig.NETNS_PREFIX):] for namespace in lab_namespaces()}
    if hosts_dir().is_dir():
        names.update(path.name for path in hosts_dir().iterdir())
    if pids_dir().is_dir():
        names.update(path.name[len("host-"):-len(".pid")] for path in pids_dir().glob("host-*.pid"))
    return sorted(host_from_name(name) for name in names if HOST_NAME_PATTERN.match(name))


def host_state(host: Host) -> str:
    """'up' when the host's namespace, root and sshd are all there, otherwise what is missing."""
    if not pathlib.Path("/run/netns", host.netns).exists():
        return "no namespace"
    if not mounts_under(host.root):
        return "no root filesystem"
    if not pid_alive(read_pid(host.pid_file)):
        return "sshd not running"
    if not sshd_answers(host.address):
        return "sshd not answering"
    return "up"


def start_host(host: Host, rootfs: pathlib.Path, public_key: str) -> None:
    """Bring HOST up from nothing: overlay root, namespace, veth, address, sshd. Does not wait for sshd."""
    if host.index > max_hosts_per_bridge():
        raise LabError("Failed to add host %s: at most %d hosts fit on a bridge" % (host.name, max_hosts_per_bridge()))
    if pathlib.Path("/run/netns", host.netns).exists() or host.state_dir.exists():
        stop_hosts([host])
    _mount_root(host, rootfs)
    _personalise_root(host, public_key)
    _plug_into_network(host)
    _launch_sshd(host)


def _mount_root(host: Host, rootfs: pathlib.Path) -> None:
    upper, work = host.state_dir / "upper", host.state_dir / "work"
    for directory in (upper, work, host.root):
        directory.mkdir(parents=True, exist_ok=True)
    os.chmod(upper, 0o755)
    for path in (rootfs, upper, work):
        if "," in str(path) or ":" in str(path):
            raise LabError("Failed to mount the root of %s: path %s holds ',' or ':'" % (host.name, path))
    options = "lowerdir=%s,upperdir=%s,workdir=%s" % (rootfs, upper, work)
    run(["mount", "-t", "overlay", "overlay", "-o", options, str(host.root)],
        "mount the root filesystem of %s" % host.name)


def _personalise_root(host: Host, public_key: str) -> None:
    root = host.root
    write_file(root / "etc/hostname", host.name + "\n")
    write_file(root / "etc/hosts", "127.0.0.1\tlocalhost\n%s\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n"
               % (host.address, host.name))
    ssh_dir = root / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_file(ssh_dir / "authorized_keys", public_key, mode=0o600)
    host_key = root / "etc/ssh/ssh_host_ed25519_key"
    if not host_key.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "root@" + host.name, "-f", str(host_key)],
            "create the ssh host key of %s" % host.name)


def _plug_into_network(host: Host) -> None:
    run(["ip", "netns", "add", host.netns], "create the network namespace %s" % host.netns)
    run(["ip", "-batch", "-"], "connect %s to bridge %s" % (host.name, host.bridge),
        stdin="link add %s type veth peer name eth0 netns %s\nlink set %s master %s up\n"
              % (host.veth, host.netns, host.veth, host.bridge))
    inside = ("link set lo up\naddr add %s/%d dev eth0\nlink set eth0 up\n"
              % (host.address, labconfig.BRIDGE_PREFIX))
    if host.outside:
        # Only the lab subnet, through the outside bridge's address, which the root namespace owns itself.
        inside += "route add %s via %s\n" % (lab_subnet(), host.gateway)
    run(["ip", "-n", host.netns, "-batch", "-"], "configure the network of %s" % host.name, stdin=inside)
    # A host made again keeps its address but not its MAC: forget the old one, or the root namespace keeps
    # sending to it until the neighbour entry goes stale (up to about a minute).
    run(["ip", "neigh", "flush", "to", host.address, "dev", host.bridge],
        "forget the old neighbour entry of %s" % host.name)


def _launch_sshd(host: Host) -> None:
    root = shlex.quote(str(host.root))
    devices = "; ".join("mknod -m 0666 %s/dev/%s c %d %d" % (root, name, major, minor)
                        for name, (major, minor) in DEVICE_NODES.items())
    script = "; ".join([
        "set -e",
        "hostname %s" % shlex.quote(host.name),
        "mount -t proc proc %s/proc" % root,
        "mount -t sysfs sysfs %s/sys" % root,
        "mount -t tmpfs -o mode=0755,nosuid,size=16m dev %s/dev" % root,
        devices,
        "mkdir %s/dev/pts %s/dev/shm" % (root, root),
        "mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts %s/dev/pts" % root,
        "ln -s pts/ptmx %s/dev/ptmx" % root,
        "ln -s /proc/self/fd %s/dev/fd" % root,
        "mount -t tmpfs -o mode=0755,nosuid,nodev run %s/run" % root,
        "mkdir -m 0755 %s/run/sshd %s/run/lock" % (root, root),
        "mount -t tmpfs -o mode=1777,nosuid,nodev tmp %s/tmp" % root,
        "exec chroot %s /usr/sbin/sshd -D -e" % root,
    ])
    # A PID namespace too, so that `pkill kubelet` on one host cannot reach another host or the controller.
    command = ["ip", "netns", "exec", host.netns, "unshare", "--uts", "--mount", "--propagation", "private",
               "--pid", "--fork", "--kill-child", "sh", "-c", script]
    host.log_file.parent.mkdir(parents=True, exist_ok=True)
    host.pid_file.parent.mkdir(parents=True, exist_ok=True)
    with open(host.log_file, "ab") as log:
        # ip execs unshare, so this is the pid of unshare, the parent of the host's sshd (its PID 1).
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, close_fds=True)
    write_file(host.pid_file, "%d\n" % process.pid)


def wait_for_sshd(hosts: Iterable[Host], timeout: float = SSHD_WAIT_SECONDS) -> None:
    """Wait until every host's sshd greets; fail with its log when one dies or the wait runs out."""
    waiting = list(hosts)
    deadline = time.monotonic() + timeout
    while waiting:
        for host in list(waiting):
            if sshd_answers(host.address, timeout=0.5):
                waiting.remove(host)
            elif not pid_alive(read_pid(host.pid_file)):
                raise LabError("Failed to start sshd on %s: it exited; %s" % (host.name, _log_tail(host.log_file)))
        if waiting and time.monotonic() > deadline:
            names = ", ".join(host.name for host in waiting)
            raise LabError("Failed to start sshd on %s: no answer on port 22 within %.0fs" % (names, timeout))
        if waiting:
            time.sleep(0.05)


def _log_tail(path: pathlib.Path, lines: int = 5) -> str:
    try:
        tail = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:]
    except OSError:
        return "no log at %s" % path
    return "last lines of %s: %s" % (path, " | ".join(tail) or "(empty)")


def stop_hosts(hosts: Iterable[Host]) -> None:
    """Stop HOSTS completely: processes, mounts, namespaces, veths, state. Safe on half-made hosts."""
    hosts = list(hosts)
    _kill_host_processes(hosts)
    for host in hosts:
        unmount_all_under(host.state_dir)
        if pathlib.Path("/run/netns", host.netns).exists():
            run(["ip", "netns", "delete", host.netns], "delete the network namespace %s" % host.netns)
        if link_exists(host.veth):
            subprocess.run(["ip", "link", "delete", host.veth], capture_output=True, check=False)
        remove_tree(host.state_dir)
        host.pid_file.unlink(missing_ok=True)


def _kill_host_processes(hosts: list[Host]) -> None:
    deadline = time.monotonic() + KILL_WAIT_SECONDS
    while True:
        pids = set()
        for host in hosts:
            pids.update(_processes_of(host))
        if not pids:
            return
        if time.monotonic() > deadline:
            raise LabError("Failed to stop the processes of %s: still running: %s"
                           % (", ".join(host.name for host in hosts), " ".join(map(str, sorted(pids)))))
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


def _processes_of(host: Host) -> set[int]:
    """Live processes of HOST: in its network namespace, or chrooted under its state dir."""
    pids: set[int] = set()
    if pathlib.Path("/run/netns", host.netns).exists():
        output = subprocess.run(["ip", "netns", "pids", host.netns], capture_output=True, text=True,
                                check=False).stdout
        pids.update(int(word) for word in output.split())
    prefix = str(host.state_dir) + "/"
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (os.readlink(entry / "root") + "/").startswith(prefix):
                    pids.add(int(entry.name))
    return {pid for pid in pids if pid_alive(pid) and pid != os.getpid()}


def teardown_all() -> None:
    """Remove every host and both bridges. Works after a crash and when nothing is up."""
    stop_hosts(existing_hosts())
    for namespace in lab_namespaces():  # namespaces with our prefix but no recognisable host name
        run(["ip", "netns", "delete", namespace], "delete the network namespace %s" % namespace)
    for link in pathlib.Path("/sys/class/net").iterdir():
        if link.name.startswith(labconfig.NETNS_PREFIX) or link.name in (labconfig.BRIDGE, labconfig.OUTSIDE_BRIDGE):
            result = subprocess.run(["ip", "link", "delete", link.name], capture_output=True, text=True, check=False)
            if result.returncode != 0 and link_exists(link.name):
                raise LabError("Failed to delete link %s: %s" % (link.name, result.stderr.strip()))
    if hosts_dir().exists():
        remove_tree(hosts_dir())
