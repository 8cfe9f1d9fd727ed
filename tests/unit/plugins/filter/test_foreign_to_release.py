"""foreign_to_release names the objects a Helm release does not own."""

from ansible_collections.eks_hybrid.nodes.plugins.filter.foreign_to_release import foreign_to_release


def daemon_set(namespace, release=None):
    annotations = {"meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": namespace} if release else {}
    return {"metadata": {"name": "cilium", "namespace": namespace, "annotations": annotations}}


def test_objects_of_the_release_are_not_foreign():
    assert foreign_to_release([daemon_set("cilium", "cilium")], "cilium", "cilium") == []
    assert foreign_to_release([], "cilium", "cilium") == []


def test_objects_elsewhere_or_from_plain_manifests_are_named():
    found = foreign_to_release([daemon_set("kube-system", "cilium"), daemon_set("cilium"),
                                daemon_set("cilium", "cni")], "cilium", "cilium")

    assert found == ["kube-system/cilium (Helm release cilium)", "cilium/cilium (Helm release none)",
                     "cilium/cilium (Helm release cni)"]
