"""Every place that takes eks_hybrid_skip_checks accepts the same check names."""

import pathlib

import yaml

from ansible_collections.eks_hybrid.nodes.plugins.doc_fragments.skip_checks import ModuleDocFragment
from ansible_collections.eks_hybrid.nodes.plugins.module_utils._host_checks import ALL_CHECK_NAMES

ROLES = pathlib.Path(__file__).resolve().parents[3] / "roles"


def role_choices(role, variable):
    specs = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    return specs["argument_specs"]["main"]["options"][variable]["choices"]


def test_modules_and_roles_accept_the_same_check_names():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]["skip_checks"]["choices"]

    assert sorted(documented) == sorted(ALL_CHECK_NAMES)
    assert sorted(role_choices("hybrid_node", "hybrid_node_skip_checks")) == sorted(ALL_CHECK_NAMES)
    assert sorted(role_choices("cilium", "cilium_skip_checks")) == sorted(ALL_CHECK_NAMES)
