# -*- coding: utf-8 -*-
# Copyright: eks_hybrid.nodes contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: foreign_to_release
short_description: The Kubernetes objects that a given Helm release does not own
version_added: 0.1.0
description:
  - Takes Kubernetes objects and returns those outside the release's namespace or without the release's
    C(meta.helm.sh/release-name) annotation, each as C(namespace/name (Helm release <name or none>)).
  - Helm 3 puts that annotation on every object it installs; objects from plain manifests have none.
options:
  _input:
    description: Kubernetes objects, for example the C(resources) of M(kubernetes.core.k8s_info).
    type: list
    elements: dict
    required: true
  release_namespace:
    description: Namespace of the Helm release.
    type: str
    required: true
  release_name:
    description: Name of the Helm release.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Stop when a Cilium agent belongs to another installation
  ansible.builtin.assert:
    that:
      - agents.resources | eks_hybrid.nodes.foreign_to_release('cilium', 'cilium') | length == 0
"""

RETURN = r"""
_value:
  description: One line per object that the release does not own.
  type: list
  elements: str
"""

RELEASE_NAME_ANNOTATION = "meta.helm.sh/release-name"


def foreign_to_release(objects, release_namespace, release_name):
    """Describe the objects that are not in the release's namespace or not annotated with its name."""
    foreign = []
    for obj in objects or []:
        metadata = obj.get("metadata") or {}
        owner = (metadata.get("annotations") or {}).get(RELEASE_NAME_ANNOTATION)
        if metadata.get("namespace") != release_namespace or owner != release_name:
            foreign.append("%s/%s (Helm release %s)" % (metadata.get("namespace"), metadata.get("name"),
                                                        owner or "none"))
    return foreign


class FilterModule:
    """Filters about Helm releases."""

    def filters(self):
        return {"foreign_to_release": foreign_to_release}
