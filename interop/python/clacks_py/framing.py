"""Delimited frames (PROTOCOL.md §3): a varint length, then a clacks.v1.Frame.

Everything here works on bytes, with no sockets: FrameBuffer takes what was
read and hands back whole frames, or None when more bytes are needed.
"""
import re

from clacks.v1 import frame_pb2
from google.protobuf.message import DecodeError

DEFAULT_MAX_FRAME_BYTES = 1024 * 1024 + 1024
MAX_PREFIX_BYTES = 5
MAX_SEQ = 2**53 - 1
HOSTNAME = re.compile(r"[A-Za-z0-9._:-]{1,253}")


class FrameError(Exception):
    """Bytes that are not a frame: the connection ends with Goodbye{PROTOCOL_ERROR}."""


def varint(value):
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def read_varint(data, pos):
    value, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 63:
            raise FrameError("a varint runs past the end of the frame")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def count_kinds(body):
    """Top-level fields numbered 1 to 7 (the Frame.kind members): a decoder keeps only the last."""
    pos, kinds = 0, 0
    while pos < len(body):
        tag, pos = read_varint(body, pos)
        wire_type = tag & 7
        if wire_type == 0:
            pos = read_varint(body, pos)[1]
        elif wire_type == 1:
            pos += 8
        elif wire_type == 5:
            pos += 4
        else:
            length, pos = read_varint(body, pos)
            pos += length
        if 1 <= tag >> 3 <= 7:
            kinds += 1
    return kinds


def encode(frame):
    body = frame.SerializeToString()
    return varint(len(body)) + body


def decode_body(body):
    frame = frame_pb2.Frame()
    try:
        frame.ParseFromString(body)  # refuses malformed bodies and invalid UTF-8 in strings
    except DecodeError as error:
        raise FrameError(f"frame does not decode: {error}") from error
    if frame.WhichOneof("kind") is None:
        raise FrameError("frame has no kind this protocol version knows")
    if count_kinds(body) != 1:
        raise FrameError("frame has more than one kind field")
    return frame


def address_problem(tower):
    """Why a TowerDescriptor is not a valid address (§5), or None."""
    if not HOSTNAME.fullmatch(tower.hostname):
        return f"hostname {tower.hostname!r} is not 1-253 of A-Z a-z 0-9 . - _ :"
    if not 1 <= tower.port <= 65535:
        return f"port {tower.port} is not from 1 to 65535"
    return None


class FrameBuffer:
    """Bytes read so far; frames come out whole. Errors are final."""

    def __init__(self, max_frame_bytes=DEFAULT_MAX_FRAME_BYTES):
        self.max_frame_bytes = max_frame_bytes
        self._data = bytearray()

    def push(self, chunk):
        self._data += chunk

    def next(self):
        """The next whole frame, or None when more bytes are needed."""
        data = self._data
        length, shift, pos = 0, 0, 0
        while True:
            if pos == MAX_PREFIX_BYTES:
                raise FrameError("length prefix is longer than 5 bytes")
            if pos == len(data):
                return None
            byte = data[pos]
            pos += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        # Checked as soon as the prefix is read, before waiting for (and buffering) the body.
        if length > self.max_frame_bytes:
            raise FrameError(f"frame of {length} bytes is over the {self.max_frame_bytes}-byte limit")
        if len(data) < pos + length:
            return None
        body = bytes(data[pos:pos + length])
        del data[:pos + length]
        return decode_body(body)
