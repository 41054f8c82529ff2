"""The Kubernetes protobuf wire format, as k8s.io/apimachinery v0.37.2 writes it.

- A single object (request or response body, content type
  application/vnd.kubernetes.protobuf) is the 4 bytes ``k8s\\x00`` followed by a
  ``runtime.Unknown`` whose typeMeta names apiVersion and kind and whose ``raw``
  is the object's own message (runtime/serializer/protobuf/protobuf.go).
- A watch stream (``;stream=watch``) is a sequence of frames, each a 4-byte
  big-endian length and then that many bytes of a ``meta.v1.WatchEvent`` with no
  prefix and no envelope; the event's ``object.raw`` is an enveloped object as
  above (util/framer/framer.go, apiserver endpoints/handlers/watch.go).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from google.protobuf.message import DecodeError, Message

from ._bindings import meta_v1, runtime

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"
WATCH_CONTENT_TYPE = CONTENT_TYPE + ";stream=watch"
_MAX_FRAME = 64 << 20


class WireError(ValueError):
    """Bytes that are not what the protobuf wire format promises."""


@dataclass(frozen=True)
class Envelope:
    """A decoded ``runtime.Unknown``: who the payload is and its bytes."""

    api_version: str
    kind: str
    raw: bytes


def encode(message: Message, api_version: str, kind: str) -> bytes:
    """Wraps a message in the envelope: the magic prefix and a runtime.Unknown."""
    unknown = runtime.Unknown()
    unknown.typeMeta.apiVersion = api_version
    unknown.typeMeta.kind = kind
    unknown.raw = message.SerializeToString()
    body: bytes = unknown.SerializeToString()
    return MAGIC + body


def decode(data: bytes) -> Envelope:
    """Unwraps an enveloped object; raises WireError when the prefix is missing."""
    if not data.startswith(MAGIC):
        raise WireError(f"not a Kubernetes protobuf message (starts with {data[:4]!r}, want {MAGIC!r})")
    unknown = runtime.Unknown()
    try:
        unknown.ParseFromString(data[len(MAGIC):])
    except DecodeError as e:
        raise WireError(f"runtime.Unknown envelope: {e}") from e
    return Envelope(unknown.typeMeta.apiVersion, unknown.typeMeta.kind, unknown.raw)


def read_frames(stream: BinaryIO) -> Iterator[bytes]:
    """Yields the length-prefixed frames of a watch stream until it ends."""
    while True:
        header = _read_exactly(stream, 4)
        if header is None:
            return
        (length,) = struct.unpack(">I", header)
        if length > _MAX_FRAME:
            raise WireError(f"watch frame of {length} bytes")
        body = _read_exactly(stream, length)
        if body is None:
            raise WireError(f"watch stream ended inside a frame of {length} bytes")
        yield body


def decode_watch_event(frame: bytes) -> tuple[str, Envelope]:
    """Decodes one frame: the event type and the enveloped object inside it."""
    event = meta_v1.WatchEvent()
    try:
        event.ParseFromString(frame)
    except DecodeError as e:
        raise WireError(f"meta.v1.WatchEvent frame: {e}") from e
    return event.type, decode(event.object.raw)


def frame(payload: bytes) -> bytes:
    """Prefixes a frame with its 4-byte big-endian length (as the server does)."""
    return struct.pack(">I", len(payload)) + payload


def _read_exactly(stream: BinaryIO, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            if buf:
                raise WireError(f"stream ended after {len(buf)} of {n} bytes")
            return None
        buf += chunk
    return buf
