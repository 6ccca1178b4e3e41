"""Reads and writes .safetensors files without the safetensors package (Debian's PyTorch has none).

The layout is the standard one: a little-endian u64 header length, a JSON header (padded with spaces to a
multiple of 8 bytes) naming each tensor's dtype, shape and byte range, then the raw little-endian C-order
data. ``__metadata__`` holds string pairs.
"""

import json
import struct

import torch

_DTYPES = {
    torch.float32: ("F32", 4), torch.float64: ("F64", 8), torch.float16: ("F16", 2), torch.bfloat16: ("BF16", 2),
    torch.int64: ("I64", 8), torch.int32: ("I32", 4), torch.uint8: ("U8", 1), torch.bool: ("BOOL", 1),
}
_NAMES = {name: dtype for dtype, (name, _) in _DTYPES.items()}


def _raw(tensor):
    tensor = tensor.detach().cpu().contiguous()
    # bfloat16 and float16 have no numpy path in every torch; go through their bits as int16.
    view = tensor.view(torch.int16) if tensor.dtype in (torch.bfloat16, torch.float16) else tensor
    return view.numpy().tobytes()


def save_file(tensors, path, metadata=None):
    header = {}
    chunks = []
    offset = 0
    for name, tensor in tensors.items():
        if tensor.dtype not in _DTYPES:
            raise ValueError(f"{name} has dtype {tensor.dtype}, which this writer does not store.")
        data = _raw(tensor)
        header[name] = {"dtype": _DTYPES[tensor.dtype][0], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(text)))
        handle.write(text)
        for chunk in chunks:
            handle.write(chunk)


def load_file(path):
    """Returns (tensors by name in file order, metadata)."""
    with open(path, "rb") as handle:
        blob = handle.read()
    if len(blob) < 8:
        raise ValueError(f"{path} is too short to be a safetensors file.")
    (length,) = struct.unpack("<Q", blob[:8])
    if 8 + length > len(blob):
        raise ValueError(f"{path}: the header claims {length} bytes but the file has {len(blob) - 8}.")
    header = json.loads(blob[8:8 + length].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    data = blob[8 + length:]
    tensors = {}
    for name, entry in sorted(header.items(), key=lambda item: item[1]["data_offsets"][0]):
        dtype = _NAMES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: {name} has dtype {entry['dtype']}, which this reader does not know.")
        start, end = entry["data_offsets"]
        raw = bytearray(data[start:end])
        if dtype in (torch.bfloat16, torch.float16):
            tensor = torch.frombuffer(raw, dtype=torch.int16).view(dtype) if raw else torch.empty(0, dtype=dtype)
        else:
            tensor = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        tensors[name] = tensor.reshape(entry["shape"]).clone()
    return tensors, metadata
