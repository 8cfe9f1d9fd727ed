"""Machines that would stop nodeadm init or Cilium are stopped before they change, and join once fixed.

Each lab machine gets one fault the way a real one has it: a swap partition in /proc/swaps, an active ufw that
keeps the Cilium VXLAN port closed, a RHEL 8 kernel under a Cilium 1.18 chart. The lab machines share the
controller's kernel, so the swap table and the kernel release are shown to the machine by bind mounts inside its
own mount namespace; ufw is the real one, acting on the machine's own network namespace.
"""

from e2e_lab import fresh_fleet, host_file_exists, table_rows

SWAP_HOST, FIREWALL_HOST, KERNEL_HOST = "lab-node-1", "lab-node-2", "lab-node-3"
RHEL8_KERNEL = "4.18.0-553.el8_10.x86_64"


def on(lab, host, command):
    done = lab.ssh(host, command)
    assert done.returncode == 0, (host, command, done.stderr)


def hybrid_nodes(lab):
    return [node.metadata.name for node in lab.kube().list_node().items
            if node.metadata.labels.get("eks.amazonaws.com/compute-type") == "hybrid"]


def test_machine_faults_stop_their_hosts_before_any_change_and_the_hosts_join_once_fixed(lab):
    fresh_fleet()
    on(lab, SWAP_HOST, "printf 'Filename\\tType\\tSize\\tUsed\\tPriority\\n/dev/sdb2\\tpartition\\t8388604\\t0\\t-2\\n'"
                       " > /root/swaps && mount --bind /root/swaps /proc/swaps")
    on(lab, FIREWALL_HOST, "ufw allow 22/tcp && ufw --force enable")
    on(lab, KERNEL_HOST, "echo %s > /root/osrelease && mount --bind /root/osrelease /proc/sys/kernel/osrelease"
                         % RHEL8_KERNEL)
    before = lab.aws_state()
    nodes_before = hybrid_nodes(lab)

    run = lab.run_playbook("-e", "cilium_chart_version=1.18.3-0")

    assert run.rc != 0, run
    rows = table_rows(run.output)
    assert {host: row[1] for host, row in rows.items()} == {
        SWAP_HOST: "Failed", FIREWALL_HOST: "Failed", KERNEL_HOST: "Failed"}, run
    assert "/dev/sdb2" in rows[SWAP_HOST][2] and "swapoff /dev/sdb2" in rows[SWAP_HOST][2], rows
    assert "8472/udp" in rows[FIREWALL_HOST][2] and "ufw allow 8472/udp" in rows[FIREWALL_HOST][2], rows
    assert RHEL8_KERNEL in rows[KERNEL_HOST][2] and "5.10" in rows[KERNEL_HOST][2], rows
    assert "cilium_chart_version" in rows[KERNEL_HOST][2], rows
    assert "No host needs an SSM registration" in run.output
    assert lab.minted_since(before) == []
    assert hybrid_nodes(lab) == nodes_before
    for host in rows:
        assert not host_file_exists(lab, host, "/usr/local/bin/nodeadm"), host
        assert not host_file_exists(lab, host, "/etc/nodeadm/nodeconfig.yaml"), host

    on(lab, SWAP_HOST, "umount /proc/swaps")
    on(lab, KERNEL_HOST, "umount /proc/sys/kernel/osrelease")
    skipped = lab.run_playbook("-e", '{"eks_hybrid_skip_checks": ["firewall"]}')

    assert skipped.rc != 0, skipped
    assert "Preflight check firewall is skipped on request" in skipped.words
    rows = table_rows(skipped.output)
    assert rows[SWAP_HOST][1] == "Ready" and rows[KERNEL_HOST][1] == "Ready", rows
    assert rows[FIREWALL_HOST][1] == "Failed" and "VxLan ports are not open" in rows[FIREWALL_HOST][2], rows

    on(lab, FIREWALL_HOST, "ufw allow 8472/udp")
    before = lab.aws_state()
    fixed = lab.run_playbook()

    assert fixed.rc == 0, fixed
    rows = table_rows(fixed.output)
    assert {host: row[1] for host, row in rows.items()} == {
        SWAP_HOST: "Ready", FIREWALL_HOST: "Ready", KERNEL_HOST: "Ready"}, fixed
    assert rows[FIREWALL_HOST][2] == "joined in this run", rows
    assert fixed.recap[SWAP_HOST]["changed"] == 0 and fixed.recap[KERNEL_HOST]["changed"] == 0, fixed
    assert [activation["RegistrationLimit"] for activation in lab.minted_since(before)] == [1]
