"""The lab's machines: two hosts on the lab bridge and one outside host, reached over ssh by key.

Brings the hosts up (no servers, so nothing here competes for ports 5000/6443/8080) in a state
directory of its own, checks what a playbook relies on, and checks that `down` leaves nothing behind.
Needs root; skips when another lab already runs on this machine (bridges and namespaces are global).
"""

import errno
import os
import pathlib
import shlex
import socket
import subprocess
import sys
import time

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "lab"))

import labconfig  # noqa: E402

LABCTL = [sys.executable, str(REPO / "lab" / "labctl.py")]
INSIDE_HOSTS = ("lab-node-1", "lab-node-2")
OUTSIDE_HOST = "lab-outside-1"
# TEST-NET-2 (RFC 5737): not on this machine's networks, so even a broken host could not reach anyone real.
NON_LAB_ADDRESS = "198.51.100.7"
CONNECT_PROBE = ("import socket, sys\n"
                 "probe = socket.socket()\n"
                 "probe.settimeout(3)\n"
                 "print(probe.connect_ex((sys.argv[1], int(sys.argv[2]))))\n")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root")


class LabHosts:
    """A running set of lab hosts and the state directory that describes them."""

    def __init__(self, state_dir: pathlib.Path):
        self.state_dir = state_dir
        self.env = dict(os.environ, EKS_HYBRID_LAB_STATE=str(state_dir))

    def labctl(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
        completed = subprocess.run(LABCTL + list(arguments), env=self.env, capture_output=True, text=True,
                                   timeout=300, check=False)
        if check and completed.returncode != 0:
            pytest.fail("labctl %s failed (%d):\n%s%s" % (" ".join(arguments), completed.returncode,
                                                          completed.stdout, completed.stderr))
        return completed

    def ssh(self, name: str, command: str, *ssh_options: str) -> subprocess.CompletedProcess:
        host = self.inventory_host(name)
        argv = ["ssh", "-i", host["ansible_ssh_private_key_file"], "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
                "-o", "ConnectTimeout=5", *ssh_options, "%s@%s" % (host["ansible_user"], host["ansible_host"]),
                command]
        return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)

    def run_on(self, name: str, command: str) -> str:
        completed = self.ssh(name, command)
        assert completed.returncode == 0, "%s on %s failed: %s" % (command, name, completed.stderr)
        return completed.stdout

    def connect_errno(self, name: str, address: str, port: int) -> int:
        """errno of a TCP connect made on host NAME (0: it connected)."""
        return int(self.run_on(name, "python3 -c %s %s %d" % (shlex.quote(CONNECT_PROBE), address, port)))

    def inventory(self) -> dict:
        return yaml.safe_load((self.state_dir / "inventory.yml").read_text(encoding="utf-8"))

    def inventory_host(self, name: str) -> dict:
        for group in self.inventory()["all"]["children"].values():
            if name in (group.get("hosts") or {}):
                return {**group.get("vars", {}), **group["hosts"][name]}
        raise KeyError(name)


def lab_links() -> list[str]:
    return sorted(name for name in os.listdir("/sys/class/net")
                  if name.startswith(labconfig.NETNS_PREFIX) or name in (labconfig.BRIDGE, labconfig.OUTSIDE_BRIDGE))


def lab_namespaces() -> list[str]:
    output = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in output.splitlines() if line.startswith(labconfig.NETNS_PREFIX)]


def mounts_under(path: pathlib.Path) -> list[str]:
    with open("/proc/self/mountinfo", encoding="utf-8") as mountinfo:
        points = [line.split()[4] for line in mountinfo]
    return [point for point in points if point == str(path) or point.startswith(str(path) + "/")]


def processes_under(path: pathlib.Path) -> list[int]:
    """Live processes chrooted under PATH or naming it on their command line."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            root = os.readlink(entry / "root")
            command_line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        if root.startswith(str(path)) or str(path) in command_line:
            found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def lab(request, tmp_path_factory):
    if lab_links() or lab_namespaces():
        pytest.skip("a lab is already up on this machine; run `lab/labctl.py down` first")
    hosts = LabHosts(tmp_path_factory.mktemp("lab-state"))
    request.addfinalizer(lambda: hosts.labctl("down", check=False))
    started = time.monotonic()
    hosts.labctl("up", "--hosts", str(len(INSIDE_HOSTS)), "--outside", "1", "--no-servers")
    print("\nlabctl up (2 hosts + 1 outside, cached root filesystem): %.1fs" % (time.monotonic() - started))
    return hosts


def test_each_host_answers_ssh_by_key_under_its_own_name(lab):
    for name in INSIDE_HOSTS + (OUTSIDE_HOST,):
        assert lab.run_on(name, "hostname").strip() == name


def test_hosts_refuse_login_without_the_key(lab):
    refused = lab.ssh(INSIDE_HOSTS[0], "true", "-o", "PubkeyAuthentication=no")
    assert refused.returncode == 255
    assert "Permission denied" in refused.stderr


def test_hosts_present_themselves_as_ubuntu_24_04(lab):
    for name in INSIDE_HOSTS:
        release = dict(line.split("=", 1) for line in lab.run_on(name, "cat /etc/os-release").splitlines() if line)
        assert release["ID"] == "ubuntu"
        assert release["VERSION_ID"].strip('"') == "24.04"
        assert release["VERSION_CODENAME"] == "noble"


def test_each_host_has_its_own_filesystem(lab):
    lab.run_on(INSIDE_HOSTS[0], "mkdir -p /etc/eks && echo first > /etc/eks/written-by-test")
    assert lab.run_on(INSIDE_HOSTS[0], "cat /etc/eks/written-by-test").strip() == "first"
    assert lab.ssh(INSIDE_HOSTS[1], "test -e /etc/eks/written-by-test").returncode == 1
    assert not pathlib.Path(labconfig.CACHE_DIR, "rootfs", "etc", "eks", "written-by-test").exists()


def test_hosts_have_no_route_out_of_the_lab(lab):
    for name in INSIDE_HOSTS + (OUTSIDE_HOST,):
        assert lab.run_on(name, "ip route show default").strip() == ""
        assert lab.ssh(name, "ip route get %s" % NON_LAB_ADDRESS).returncode != 0
        assert lab.connect_errno(name, NON_LAB_ADDRESS, 443) == errno.ENETUNREACH


def test_inside_and_outside_hosts_reach_the_lab_servers_address(lab):
    with socket.create_server((labconfig.BRIDGE_IP, 0)) as listener:
        port = listener.getsockname()[1]
        for name in INSIDE_HOSTS + (OUTSIDE_HOST,):
            assert lab.connect_errno(name, labconfig.BRIDGE_IP, port) == 0, name


def test_inventory_puts_only_inside_hosts_in_hybrid_nodes(lab):
    groups = lab.inventory()["all"]["children"]
    assert sorted(groups["hybrid_nodes"]["hosts"]) == list(INSIDE_HOSTS)
    assert sorted(groups["lab_outside"]["hosts"]) == [OUTSIDE_HOST]
    assert groups["hybrid_nodes"]["hosts"]["lab-node-2"]["ansible_host"] == "10.52.100.12"
    assert groups["lab_outside"]["hosts"][OUTSIDE_HOST]["ansible_host"] == "10.99.100.11"
    assert groups["hybrid_nodes"]["vars"]["ansible_user"] == "root"


def test_up_again_changes_nothing(lab):
    pid_files = sorted((lab.state_dir / "pids").glob("host-*.pid"))
    pids_before = [path.read_text() for path in pid_files]
    completed = lab.labctl("up", "--hosts", str(len(INSIDE_HOSTS)), "--outside", "1", "--no-servers")
    assert "nothing changed" in completed.stdout
    assert [path.read_text() for path in pid_files] == pids_before


def test_up_repairs_a_host_whose_sshd_died(lab):
    pid_file = lab.state_dir / "pids" / ("host-%s.pid" % INSIDE_HOSTS[1])
    os.kill(int(pid_file.read_text()), 9)
    assert lab.labctl("status", check=False).returncode == 1
    lab.labctl("up", "--hosts", str(len(INSIDE_HOSTS)), "--outside", "1", "--no-servers")
    assert lab.run_on(INSIDE_HOSTS[1], "hostname").strip() == INSIDE_HOSTS[1]
    assert lab.labctl("status").returncode == 0


def test_down_leaves_nothing_behind(lab):
    started = time.monotonic()
    lab.labctl("down")
    print("\nlabctl down: %.1fs" % (time.monotonic() - started))
    assert lab_namespaces() == []
    assert lab_links() == []
    assert mounts_under(lab.state_dir) == []
    assert processes_under(lab.state_dir) == []
    assert list(lab.state_dir.glob("pids/*.pid")) == []
    assert not (lab.state_dir / "hosts").exists()
    assert lab.labctl("down").returncode == 0, "a second down must succeed too"
