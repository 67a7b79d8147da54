#!/usr/bin/env python3
"""Checks the golden frames of test/vectors/ (PROTOCOL.md §18) with the Python
protobuf runtime and the Python tower's framing: each NAME.bin decodes to
what NAME.json describes, and that frame encodes back to exactly NAME.bin;
each invalid/NAME.bin is refused.

    python3 vectors_check.py [VECTORS_DIR]     # exits 1 on the first mismatch
"""
import json
import os
import pathlib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))

from clacks.v1 import frame_pb2  # noqa: E402
from google.protobuf.descriptor import FieldDescriptor  # noqa: E402

from clacks_py.framing import FrameBuffer, FrameError, encode  # noqa: E402


def expected_value(field, value):
    """A value of NAME.json as the Python runtime holds it."""
    if field.label == FieldDescriptor.LABEL_REPEATED:
        return [expected_value_one(field, v) for v in value]
    return expected_value_one(field, value)


def expected_value_one(field, value):
    if field.type == FieldDescriptor.TYPE_BYTES:
        if isinstance(value, dict):
            return bytes([value["fill"]]) * value["length"]
        return bytes.fromhex(value)
    if field.type == FieldDescriptor.TYPE_UINT64:
        return int(value)
    if field.type == FieldDescriptor.TYPE_ENUM:
        return field.enum_type.values_by_name[value].number
    return value


def check_message(message, fields, where):
    for name, value in fields.items():
        field = message.DESCRIPTOR.fields_by_name[name]
        if field.type == FieldDescriptor.TYPE_MESSAGE and field.label != FieldDescriptor.LABEL_REPEATED:
            if value is None:
                assert not message.HasField(name), f"{where}.{name} should be absent"
            else:
                assert message.HasField(name), f"{where}.{name} should be present"
                check_message(getattr(message, name), value, f"{where}.{name}")
            continue
        got = getattr(message, name)
        got = list(got) if field.label == FieldDescriptor.LABEL_REPEATED else got
        assert got == expected_value(field, value), f"{where}.{name}: {str(got)[:80]} != {str(value)[:80]}"


def main():
    here = pathlib.Path(__file__).resolve().parent
    directory = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here.parent.parent / "test" / "vectors"
    count = 0
    for bin_path in sorted(directory.glob("*.bin")):
        data = bin_path.read_bytes()
        expected = json.loads(bin_path.with_suffix(".json").read_text())
        buffer = FrameBuffer(max_frame_bytes=len(data))
        buffer.push(data)
        frame = buffer.next()
        assert frame is not None and buffer.next() is None, f"{bin_path.name}: not exactly one frame"
        kind = frame.WhichOneof("kind")
        assert kind == expected["kind"], f"{bin_path.name}: kind {kind}, expected {expected['kind']}"
        check_message(getattr(frame, kind), expected["fields"], bin_path.stem)
        assert encode(frame) == data, f"{bin_path.name}: encodes to other bytes"
        count += 1
    assert count > 0, f"no vectors in {directory}"
    refused = 0
    for bin_path in sorted((directory / "invalid").glob("*.bin")):
        buffer = FrameBuffer()
        buffer.push(bin_path.read_bytes())
        try:
            buffer.next()
        except FrameError:
            refused += 1
            continue
        raise AssertionError(f"invalid/{bin_path.name} was accepted")
    assert refused > 0, f"no invalid vectors in {directory / 'invalid'}"
    print(f"{count} vectors decode and encode byte for byte; {refused} invalid ones are refused")


if __name__ == "__main__":
    main()
