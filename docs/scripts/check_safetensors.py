#!/usr/bin/env python3
"""Cross-checks GenerativeKit's safetensors files against an independent reader and writer.

    check_safetensors.py read FILE    parse FILE by hand with numpy (and, if installed, with the
                                      `safetensors` package, which must agree bit for bit); print
                                      a JSON summary: metadata, and per tensor dtype, shape, values
                                      (Float32 as their uint32 bit patterns, 64-bit integers as
                                      decimal strings)
    check_safetensors.py write FILE   write a reference file (with the `safetensors` package if it
                                      is installed, otherwise by hand) for GenerativeKit to read

Needs Python 3 and numpy only; exits non-zero with a message on any inconsistency.
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "I64": np.dtype("<i8"), "U64": np.dtype("<u8"), "F64": np.dtype("<f8")}
MAX_HEADER = 100_000_000


def fail(message):
    sys.exit(f"check_safetensors: {message}")


def read_by_hand(path):
    """Parses the file with the standard library and numpy, checking the layout strictly."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        fail(f"{path}: too short")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > MAX_HEADER or 8 + n > len(blob):
        fail(f"{path}: header length {n} out of range")
    if (8 + n) % 8 != 0:
        fail(f"{path}: data section not 8-byte aligned (header length {n})")
    header = json.loads(blob[8 : 8 + n].decode("utf-8"))
    data = blob[8 + n :]
    metadata = header.pop("__metadata__", {}) or {}
    entries = sorted(header.items(), key=lambda item: tuple(item[1]["data_offsets"]))
    position = 0
    tensors = {}
    for name, info in entries:
        begin, end = info["data_offsets"]
        dtype = DTYPES.get(info["dtype"]) or fail(f"{name}: unexpected dtype {info['dtype']}")
        shape = tuple(info["shape"])
        if begin != position or end - begin != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
            fail(f"{name}: data_offsets {info['data_offsets']} do not follow on from {position}")
        tensors[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(shape)
        position = end
    if position != len(data):
        fail(f"{path}: tensors cover {position} of {len(data)} data bytes")
    return [name for name, _ in entries], tensors, metadata


def check_with_package(path, tensors, metadata):
    """Loads the file with the `safetensors` package, if installed; returns whether it did."""
    try:
        from safetensors import safe_open
        from safetensors.numpy import load_file
    except ImportError:
        return False
    loaded = load_file(path)
    if sorted(loaded) != sorted(tensors):
        fail(f"safetensors package sees tensors {sorted(loaded)}, by hand {sorted(tensors)}")
    for name, array in tensors.items():
        other = loaded[name]
        if other.dtype != array.dtype or other.shape != array.shape or other.tobytes() != array.tobytes():
            fail(f"{name}: safetensors package and hand parser disagree")
    with safe_open(path, framework="numpy") as f:
        if (f.metadata() or {}) != metadata:
            fail(f"metadata differs: package {f.metadata()}, by hand {metadata}")
    return True


def summarize(array):
    if array.dtype == np.float32:
        values = array.reshape(-1).view(np.uint32).tolist()
    else:
        values = [str(v) for v in array.reshape(-1).tolist()]
    kind = {np.float32: "F32", np.int64: "I64", np.uint64: "U64"}[array.dtype.type]
    return {"dtype": kind, "shape": list(array.shape), "values": values}


def reference_tensors():
    return {
        "conv.weight": (np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2) / 8 - 1),
        "linear.bias": np.array([np.pi, -0.0, 1e-38, 3.4e38], dtype=np.float32),
        "empty": np.zeros((0, 5), dtype=np.float32),
        "scalar": np.array(2.5, dtype=np.float32),
        "rng.state": np.array([1, 2**63, 2**64 - 1, 12345], dtype=np.uint64),
        "counters": np.array([[-1, 2**63 - 1], [-(2**63), 0]], dtype=np.int64),
    }


REFERENCE_METADATA = {"format": "np", "written_by": "check_safetensors.py", "note": "ünïcode \"quoted\""}


def write_reference(path):
    tensors = reference_tensors()
    try:
        from safetensors.numpy import save_file
    except ImportError:
        save_file = None
    if save_file is not None:
        save_file(tensors, path, metadata=REFERENCE_METADATA)
        return "safetensors"
    # By hand, in reverse name order so the reader cannot rely on order.
    header, chunks, offset = {"__metadata__": REFERENCE_METADATA}, [], 0
    for name in sorted(tensors, reverse=True):
        raw = tensors[name].astype(tensors[name].dtype.newbyteorder("<")).tobytes()
        kind = {np.float32: "F32", np.int64: "I64", np.uint64: "U64"}[tensors[name].dtype.type]
        header[name] = {"dtype": kind, "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))
    return "hand"


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("read", "write"):
        sys.exit(__doc__)
    command, path = sys.argv[1], sys.argv[2]
    if command == "write":
        print(json.dumps({"writer": write_reference(path)}))
        return
    order, tensors, metadata = read_by_hand(path)
    readers = ["numpy"] + (["safetensors"] if check_with_package(path, tensors, metadata) else [])
    print(json.dumps({
        "readers": readers,
        "order": order,
        "metadata": metadata,
        "tensors": {name: summarize(array) for name, array in tensors.items()},
    }))


if __name__ == "__main__":
    main()
