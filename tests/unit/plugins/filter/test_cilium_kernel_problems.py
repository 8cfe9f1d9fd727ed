"""The cilium_kernel_problems filter keeps only the machines a Cilium version cannot run on."""

from ansible_collections.eks_hybrid.nodes.plugins.filter.cilium_kernel_problems import cilium_kernel_problems


def test_only_machines_below_the_floor_are_returned():
    kernels = {"rhel8-edge": "4.18.0-553.el8_10.x86_64", "ubuntu-edge": "6.8.0-45-generic", "unknown": ""}

    assert list(cilium_kernel_problems(kernels, "1.18.3-0")) == ["rhel8-edge"]
    assert cilium_kernel_problems(kernels, "1.17.9-0") == {}
    assert cilium_kernel_problems({}, "1.18.3") == {}
