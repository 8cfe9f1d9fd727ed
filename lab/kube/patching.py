"""PATCH bodies of the Kubernetes API: JSON merge patch (RFC 7396), JSON patch (RFC 6902) and the
strategic merge patch of built-in types, with the directives that client-go's three-way patches
carry (``$patch``, ``$setElementOrder/``, ``$retainKeys``, ``$deleteFromPrimitiveList/``).

Strategic merge knows the merge keys of the lists that workloads, Services and Nodes use; any
other list is replaced, as for a field without ``patchStrategy: merge``.
"""

from __future__ import annotations

import copy
from typing import Any

# Field name -> merge key, for the lists whose Go types declare patchStrategy "merge".
_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "conditions": "type",
    "ownerReferences": "uid",
    "topologySpreadConstraints": "topologyKey",
    "addresses": "type",
}
# Lists of scalars whose Go types declare patchStrategy "merge".
_MERGED_SCALAR_LISTS = {"finalizers"}


class PatchError(ValueError):
    """A patch that cannot be applied; the API server answers 422 or 400."""


def json_merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = json_merge_patch(result.get(key), value)
    return result


def _merge_key_for(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        sample = next((item for item in items if isinstance(item, dict)), {})
        return "containerPort" if "containerPort" in sample else "port"
    return _MERGE_KEYS.get(field)


def _merge_list(field: str, original: list[Any], patch: list[Any]) -> list[Any]:
    if field in _MERGED_SCALAR_LISTS:
        return original + [item for item in patch if item not in original]
    key = _merge_key_for(field, original + patch)
    if key is None or not all(isinstance(item, dict) for item in patch):
        if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
            return [item for item in patch if not (isinstance(item, dict) and "$patch" in item)]
        return [_strip_directives(item) for item in patch]
    result = copy.deepcopy(original)
    for item in patch:
        directive = item.get("$patch")
        if directive == "replace":
            return [_strip_directives(entry) for entry in patch if entry is not item]
        position = next((index for index, entry in enumerate(result)
                         if isinstance(entry, dict) and entry.get(key) == item.get(key)), None)
        if directive == "delete":
            if position is not None:
                result.pop(position)
        elif position is None:
            result.append(_strip_directives(item))
        else:
            result[position] = strategic_merge_patch(result[position], item)
    return result


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _strip_directives(item) for key, item in value.items() if not key.startswith("$")}
    if isinstance(value, list):
        return [_strip_directives(item) for item in value]
    return value


def _order_like(items: list[Any], order: list[Any], field: str) -> list[Any]:
    key = _merge_key_for(field, items)
    if key is None:
        return items
    rank = {entry.get(key) if isinstance(entry, dict) else entry: index for index, entry in enumerate(order)}
    return sorted(items, key=lambda item: rank.get(item.get(key) if isinstance(item, dict) else item, len(rank)))


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return _strip_directives(patch)
    if patch.get("$patch") == "delete":
        return None
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    orders = {}
    for key, value in patch.items():
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value
        elif key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            result[field] = [item for item in result.get(field) or [] if item not in value]
        elif key.startswith("$"):
            continue
        elif value is None:
            result.pop(key, None)
        elif isinstance(value, list) and isinstance(result.get(key), list):
            result[key] = _merge_list(key, result[key], value)
        elif isinstance(value, list):
            result[key] = _merge_list(key, [], value)
        elif isinstance(value, dict):
            merged = strategic_merge_patch(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        else:
            result[key] = value
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _order_like(result[field], order, field)
    if isinstance(retain, list):
        result = {key: value for key, value in result.items() if key in retain or key in patch}
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError("JSON pointer %r does not start with /" % path)
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _parent(document: Any, parts: list[str]) -> tuple[Any, str]:
    node = document
    for part in parts[:-1]:
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise PatchError("path segment %r does not exist" % part)
    return node, parts[-1]


def json_patch(target: Any, operations: Any) -> Any:
    if not isinstance(operations, list):
        raise PatchError("a JSON patch must be a list of operations")
    document = copy.deepcopy(target)
    for operation in operations:
        op, parts = operation.get("op"), _pointer(operation.get("path", ""))
        if not parts:
            raise PatchError("operations on the document root are not supported")
        try:
            if op == "move" or op == "copy":
                source_parent, source_key = _parent(document, _pointer(operation.get("from", "")))
                value = copy.deepcopy(source_parent[int(source_key) if isinstance(source_parent, list) else source_key])
                if op == "move":
                    del source_parent[int(source_key) if isinstance(source_parent, list) else source_key]
                op, operation = "add", {**operation, "value": value}
            parent, key = _parent(document, parts)
            if op == "test":
                actual = parent[int(key)] if isinstance(parent, list) else parent.get(key)
                if actual != operation.get("value"):
                    raise PatchError("test operation failed at %s" % operation.get("path"))
            elif op == "remove":
                del parent[int(key) if isinstance(parent, list) else key]
            elif op in ("add", "replace"):
                value = copy.deepcopy(operation.get("value"))
                if isinstance(parent, list):
                    if key == "-":
                        parent.append(value)
                    elif op == "add":
                        parent.insert(int(key), value)
                    else:
                        parent[int(key)] = value
                elif op == "replace" and key not in parent:
                    raise PatchError("replace of missing path %s" % operation.get("path"))
                else:
                    parent[key] = value
            else:
                raise PatchError("unsupported JSON patch operation %r" % op)
        except (KeyError, IndexError, ValueError, TypeError) as error:
            if isinstance(error, PatchError):
                raise
            raise PatchError("cannot apply %s at %s: %s" % (op, operation.get("path"), error)) from error
    return document
