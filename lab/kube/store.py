"""In-memory object store of the lab's Kubernetes API: objects by resource type and (namespace,
name), one resourceVersion counter for everything, and the history of changes that watches read.

Every method must be called with ``condition`` held (it is re-entrant). Stored objects are never
changed in place: a write replaces the object, so the snapshots in the history stay as they were.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Any, Iterator

from resources import ResourceType

ObjectKey = tuple[str, str]


@dataclass(frozen=True)
class Change:
    revision: int
    resource: tuple[str, str]
    type: str  # ADDED, MODIFIED or DELETED
    object: dict[str, Any]
    previous: dict[str, Any] | None


class Store:
    def __init__(self, history: int = 20000) -> None:
        self.condition = threading.Condition(threading.RLock())
        self._objects: dict[tuple[str, str], dict[ObjectKey, dict[str, Any]]] = {}
        self._revision = 1
        self._changes: list[Change] = []
        self._history = history

    @property
    def revision(self) -> int:
        return self._revision

    def get(self, rtype: ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        """A copy of the object, or None."""
        stored = self._objects.get(rtype.key, {}).get((namespace, name))
        return copy.deepcopy(stored) if stored is not None else None

    def exists(self, rtype: ResourceType, namespace: str, name: str) -> bool:
        return (namespace, name) in self._objects.get(rtype.key, {})

    def items(self, rtype: ResourceType, namespace: str | None = None) -> list[dict[str, Any]]:
        """Copies of the objects of one type, in one namespace or all, ordered by namespace and name."""
        objects = self._objects.get(rtype.key, {})
        return [copy.deepcopy(objects[key]) for key in sorted(objects) if namespace is None or key[0] == namespace]

    def peek(self, rtype: ResourceType) -> Iterator[dict[str, Any]]:
        """The stored objects themselves, read-only, for scans that copy nothing."""
        yield from self._objects.get(rtype.key, {}).values()

    def put(self, rtype: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        """Store the object under a new resourceVersion and record ADDED or MODIFIED; return a copy."""
        metadata = obj["metadata"]
        key = (metadata.get("namespace", "") if rtype.namespaced else "", metadata["name"])
        previous = self._objects.setdefault(rtype.key, {}).get(key)
        self._revision += 1
        stored = copy.deepcopy(obj)
        stored["metadata"]["resourceVersion"] = str(self._revision)
        self._objects[rtype.key][key] = stored
        self._record(Change(self._revision, rtype.key, "ADDED" if previous is None else "MODIFIED", stored, previous))
        return copy.deepcopy(stored)

    def remove(self, rtype: ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        """Delete the object and record DELETED; return its last state or None if it did not exist."""
        previous = self._objects.get(rtype.key, {}).pop((namespace, name), None)
        if previous is None:
            return None
        self._revision += 1
        final = copy.deepcopy(previous)
        final["metadata"]["resourceVersion"] = str(self._revision)
        self._record(Change(self._revision, rtype.key, "DELETED", final, previous))
        return copy.deepcopy(final)

    def clear(self) -> None:
        """Forget every object and the history; revisions keep growing so clients never go back."""
        self._objects.clear()
        self._changes.clear()

    def changes_after(self, revision: int) -> list[Change] | None:
        """Changes with a higher revision, or None when some of them are no longer kept (410 Gone)."""
        if revision >= self._revision:
            return []
        if not self._changes or self._changes[0].revision > revision + 1:
            return None
        offset = revision + 1 - self._changes[0].revision
        return self._changes[offset:]

    def _record(self, change: Change) -> None:
        if self._changes and self._changes[-1].revision != change.revision - 1:
            self._changes.clear()
        self._changes.append(change)
        if len(self._changes) > self._history:
            del self._changes[: len(self._changes) - self._history]
        self.condition.notify_all()
