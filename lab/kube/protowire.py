"""Decoder for the protobuf request bodies that client-go sends to the lab's Kubernetes API.

helm stores its releases as Secrets (or ConfigMaps) and its storage driver writes them in the
Kubernetes protobuf encoding: the four magic bytes ``k8s\\0`` followed by a ``runtime.Unknown``
message whose ``raw`` field holds the object itself. Only the messages helm writes are decoded
(Secret, ConfigMap and their ObjectMeta); the result is the object as the JSON API would carry it.
"""

from __future__ import annotations

import base64
import datetime
from typing import Any, Callable, Iterator

MAGIC = b"k8s\x00"

_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5


class ProtobufError(ValueError):
    """The body is not a Kubernetes protobuf object this decoder understands."""


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint longer than 64 bits")


def _fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """Yield (field number, value): an int for varints and fixed fields, bytes for the rest."""
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == _VARINT:
            value, pos = _read_varint(data, pos)
        elif wire_type == _LENGTH_DELIMITED:
            length, pos = _read_varint(data, pos)
            if pos + length > len(data):
                raise ProtobufError("truncated length-delimited field %d" % number)
            value, pos = data[pos:pos + length], pos + length
        elif wire_type == _FIXED64:
            value, pos = int.from_bytes(data[pos:pos + 8], "little"), pos + 8
        elif wire_type == _FIXED32:
            value, pos = int.from_bytes(data[pos:pos + 4], "little"), pos + 4
        else:
            raise ProtobufError("unsupported wire type %d in field %d" % (wire_type, number))
        yield number, value


def _text(value: int | bytes) -> str:
    if not isinstance(value, bytes):
        raise ProtobufError("expected a string field")
    return value.decode("utf-8")


def _signed(value: int | bytes) -> int:
    if not isinstance(value, int):
        raise ProtobufError("expected an integer field")
    return value - (1 << 64) if value >= 1 << 63 else value


def _map_entry(value: int | bytes) -> tuple[str, bytes]:
    key, item = "", b""
    for number, field in _fields(value if isinstance(value, bytes) else b""):
        if number == 1:
            key = _text(field)
        elif number == 2:
            item = field if isinstance(field, bytes) else b""
    return key, item


def _time(value: int | bytes) -> str:
    seconds = 0
    for number, field in _fields(value if isinstance(value, bytes) else b""):
        if number == 1:
            seconds = _signed(field)
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _owner_reference(value: int | bytes) -> dict[str, Any]:
    names = {1: "kind", 3: "name", 4: "uid", 5: "apiVersion"}
    flags = {6: "controller", 7: "blockOwnerDeletion"}
    reference: dict[str, Any] = {}
    for number, field in _fields(value if isinstance(value, bytes) else b""):
        if number in names:
            reference[names[number]] = _text(field)
        elif number in flags:
            reference[flags[number]] = bool(field)
    return reference


def _object_meta(data: bytes) -> dict[str, Any]:
    strings = {1: "name", 2: "generateName", 3: "namespace", 5: "uid", 6: "resourceVersion"}
    meta: dict[str, Any] = {}
    for number, value in _fields(data):
        if number in strings:
            meta[strings[number]] = _text(value)
        elif number == 7:
            meta["generation"] = _signed(value)
        elif number == 8:
            meta["creationTimestamp"] = _time(value)
        elif number in (11, 12):
            key, item = _map_entry(value)
            meta.setdefault("labels" if number == 11 else "annotations", {})[key] = item.decode("utf-8")
        elif number == 13:
            meta.setdefault("ownerReferences", []).append(_owner_reference(value))
        elif number == 14:
            meta.setdefault("finalizers", []).append(_text(value))
    return meta


def _secret(raw: bytes) -> dict[str, Any]:
    secret: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {}}
    for number, value in _fields(raw):
        if number == 1:
            secret["metadata"] = _object_meta(value if isinstance(value, bytes) else b"")
        elif number == 2:
            key, item = _map_entry(value)
            secret.setdefault("data", {})[key] = base64.b64encode(item).decode("ascii")
        elif number == 3:
            secret["type"] = _text(value)
        elif number == 4:
            key, item = _map_entry(value)
            secret.setdefault("stringData", {})[key] = item.decode("utf-8")
        elif number == 5:
            secret["immutable"] = bool(value)
    return secret


def _config_map(raw: bytes) -> dict[str, Any]:
    config_map: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}
    for number, value in _fields(raw):
        if number == 1:
            config_map["metadata"] = _object_meta(value if isinstance(value, bytes) else b"")
        elif number == 2:
            key, item = _map_entry(value)
            config_map.setdefault("data", {})[key] = item.decode("utf-8")
        elif number == 3:
            key, item = _map_entry(value)
            config_map.setdefault("binaryData", {})[key] = base64.b64encode(item).decode("ascii")
        elif number == 4:
            config_map["immutable"] = bool(value)
    return config_map


_DECODERS: dict[tuple[str, str], Callable[[bytes], dict[str, Any]]] = {
    ("v1", "Secret"): _secret,
    ("v1", "ConfigMap"): _config_map,
}


def decode(body: bytes) -> dict[str, Any]:
    """Return the JSON form of a ``k8s\\0``-prefixed protobuf object; raise ProtobufError otherwise."""
    if not body.startswith(MAGIC):
        raise ProtobufError("missing the k8s protobuf magic prefix")
    api_version = kind = ""
    raw = b""
    for number, value in _fields(body[len(MAGIC):]):
        if number == 1 and isinstance(value, bytes):
            for meta_number, meta_value in _fields(value):
                if meta_number == 1:
                    api_version = _text(meta_value)
                elif meta_number == 2:
                    kind = _text(meta_value)
        elif number == 2 and isinstance(value, bytes):
            raw = value
    decoder = _DECODERS.get((api_version, kind))
    if decoder is None:
        raise ProtobufError("protobuf bodies of %s %s are not supported" % (api_version or "?", kind or "?"))
    return decoder(raw)
