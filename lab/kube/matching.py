"""Selectors of the Kubernetes API: label and field selectors of list/watch queries, LabelSelector
objects, node affinity, pod (anti-)affinity and taints against tolerations.

Requirements are (key, operator, values) tuples with the operators of LabelSelectorRequirement
and NodeSelectorRequirement: In, NotIn, Exists, DoesNotExist, Gt, Lt.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

Requirement = tuple[str, str, tuple[str, ...]]

_SET_REQUIREMENT = re.compile(r"^\s*([^\s!=(),]+)\s+(in|notin)\s*\(([^()]*)\)\s*$")
_EQUALITY_REQUIREMENT = re.compile(r"^\s*([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)\s*$")
_EXISTENCE_REQUIREMENT = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*$")


class SelectorError(ValueError):
    """A selector that the API server would refuse with 400 Bad Request."""


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def parse_label_selector(text: str) -> list[Requirement]:
    """Parse the labelSelector query parameter, e.g. ``app=x,tier!=db,env in (a,b),!legacy``."""
    requirements: list[Requirement] = []
    for part in _split_top_level(text or ""):
        if match := _SET_REQUIREMENT.match(part):
            values = tuple(value.strip() for value in match.group(3).split(",") if value.strip())
            requirements.append((match.group(1), "In" if match.group(2) == "in" else "NotIn", values))
        elif match := _EQUALITY_REQUIREMENT.match(part):
            operator = "NotIn" if match.group(2) == "!=" else "In"
            requirements.append((match.group(1), operator, (match.group(3),)))
        elif match := _EXISTENCE_REQUIREMENT.match(part):
            requirements.append((match.group(2), "DoesNotExist" if match.group(1) else "Exists", ()))
        else:
            raise SelectorError("unable to parse requirement: %r" % part.strip())
    return requirements


def requirement_matches(requirement: Requirement, labels: dict[str, str]) -> bool:
    key, operator, values = requirement
    present = key in labels
    if operator == "In":
        return present and labels[key] in values
    if operator == "NotIn":
        return not present or labels[key] not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    if operator in ("Gt", "Lt") and present and len(values) == 1:
        try:
            actual, bound = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return actual > bound if operator == "Gt" else actual < bound
    return False


def labels_match(requirements: Iterable[Requirement], labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return all(requirement_matches(requirement, labels) for requirement in requirements)


def _expressions(expressions: list[dict[str, Any]] | None) -> list[Requirement]:
    return [
        (expression.get("key", ""), expression.get("operator", ""), tuple(expression.get("values") or ()))
        for expression in expressions or []
    ]


def label_selector_requirements(selector: dict[str, Any] | None) -> list[Requirement]:
    """Requirements of a LabelSelector object (matchLabels and matchExpressions)."""
    selector = selector or {}
    requirements = [(key, "In", (value,)) for key, value in (selector.get("matchLabels") or {}).items()]
    return requirements + _expressions(selector.get("matchExpressions"))


def label_selector_matches(selector: dict[str, Any] | None, labels: dict[str, str] | None) -> bool:
    """An empty LabelSelector matches everything, as in a Deployment's or a DaemonSet's selector."""
    return labels_match(label_selector_requirements(selector), labels)


def parse_field_selector(text: str) -> list[tuple[str, bool, str]]:
    """Parse the fieldSelector query parameter into (dotted path, must equal, value) triples."""
    requirements = []
    for part in _split_top_level(text or ""):
        match = _EQUALITY_REQUIREMENT.match(part)
        if not match:
            raise SelectorError("invalid field selector: %r" % part.strip())
        requirements.append((match.group(1), match.group(2) != "!=", match.group(3)))
    return requirements


def field_value(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for step in path.split("."):
        value = value.get(step) if isinstance(value, dict) else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def fields_match(requirements: Iterable[tuple[str, bool, str]], obj: dict[str, Any]) -> bool:
    return all((field_value(obj, path) == value) == equal for path, equal, value in requirements)


def node_selector_term_matches(term: dict[str, Any], node: dict[str, Any]) -> bool:
    """A NodeSelectorTerm: its matchExpressions and matchFields all hold; an empty term matches nothing."""
    expressions = _expressions(term.get("matchExpressions"))
    fields = _expressions(term.get("matchFields"))
    if not expressions and not fields:
        return False
    metadata = node.get("metadata", {})
    node_fields = {"metadata.name": metadata.get("name", "")}
    return labels_match(expressions, metadata.get("labels")) and labels_match(fields, node_fields)


def node_matches_pod_spec(node: dict[str, Any], pod_spec: dict[str, Any]) -> bool:
    """Whether the nodeSelector and the required node affinity of a pod spec select the node."""
    labels = node.get("metadata", {}).get("labels") or {}
    for key, value in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return False
    node_affinity = (pod_spec.get("affinity") or {}).get("nodeAffinity") or {}
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return True
    return any(node_selector_term_matches(term, node) for term in required.get("nodeSelectorTerms") or [])


def toleration_tolerates(toleration: dict[str, Any], taint: dict[str, Any]) -> bool:
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return not toleration.get("key") or toleration["key"] == taint.get("key")
    return toleration.get("key") == taint.get("key") and (toleration.get("value") or "") == (taint.get("value") or "")


def tolerates_node(tolerations: list[dict[str, Any]] | None, node: dict[str, Any]) -> bool:
    """Whether every NoSchedule and NoExecute taint of the node is tolerated."""
    for taint in node.get("spec", {}).get("taints") or []:
        if taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        if not any(toleration_tolerates(toleration, taint) for toleration in tolerations or []):
            return False
    return True


def pod_affinity_term_satisfied(
    term: dict[str, Any], pod_namespace: str, node: dict[str, Any], nodes: dict[str, dict[str, Any]],
    pods: list[dict[str, Any]],
) -> bool:
    """Whether a bound pod that the term selects runs in the node's topology domain."""
    topology_key = term.get("topologyKey", "")
    domain = (node.get("metadata", {}).get("labels") or {}).get(topology_key)
    if domain is None:
        return False
    namespaces = set(term.get("namespaces") or [pod_namespace])
    for pod in pods:
        node_name = pod.get("spec", {}).get("nodeName")
        if not node_name or node_name not in nodes or pod["metadata"].get("namespace") not in namespaces:
            continue
        other_domain = (nodes[node_name]["metadata"].get("labels") or {}).get(topology_key)
        if other_domain == domain and label_selector_matches(term.get("labelSelector"), pod["metadata"].get("labels")):
            return True
    return False
