"""Training images as Ddpm.Core reads them: an IDX file (.gz or not; Fashion-MNIST) or a folder of images.

Pixels are kept as bytes and become floats in [-1, 1] (pixel / 127.5 - 1) per batch. An IDX image at most 8 pixels
smaller than the target size is padded with black, centred (28 -> 32 keeps Fashion-MNIST exact), as ``ddpm train``
does; anything else is resized (bilinear, through Pillow).
"""

import gzip
import os
import struct

import numpy as np
import torch

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def _read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as handle:
        data = handle.read()
    if len(data) < 16:
        raise ValueError(f"{path} is too short to be an IDX images file.")
    magic, count, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 0x00000803:
        raise ValueError(f"{path} is not an IDX images file (magic {magic:#x}, expected 0x803).")
    if len(data) < 16 + count * rows * cols:
        raise ValueError(f"{path} declares {count} images of {rows}x{cols} but is truncated.")
    return np.frombuffer(data, dtype=np.uint8, count=count * rows * cols, offset=16).reshape(count, 1, rows, cols)


def _pad(images, size):
    count, channels, rows, cols = images.shape
    out = np.zeros((count, channels, size, size), dtype=np.uint8)
    top, left = (size - rows) // 2, (size - cols) // 2
    out[:, :, top:top + rows, left:left + cols] = images
    return out


def _resize(images, size):
    from PIL import Image

    out = np.empty((images.shape[0], images.shape[1], size, size), dtype=np.uint8)
    for i, image in enumerate(images):
        for c in range(image.shape[0]):
            out[i, c] = np.asarray(Image.fromarray(image[c]).resize((size, size), Image.BILINEAR))
    return out


def _read_folder(path, size, channels):
    from PIL import Image

    files = sorted(os.path.join(root, name) for root, _, names in os.walk(path) for name in names if name.lower().endswith(IMAGE_EXTENSIONS))
    if not files:
        raise ValueError(f"{path} holds no image files ({', '.join(IMAGE_EXTENSIONS)}).")
    mode = "L" if channels == 1 else "RGB"
    out = np.empty((len(files), channels, size, size), dtype=np.uint8)
    for i, file in enumerate(files):
        with Image.open(file) as image:
            pixels = np.asarray(image.convert(mode).resize((size, size), Image.BILINEAR))
        out[i] = pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)
    return out


class ImageSet(torch.utils.data.Dataset):
    """All images of a file or folder in memory, as bytes [N, C, size, size]."""

    def __init__(self, path, size, channels):
        if os.path.isdir(path):
            pixels = _read_folder(path, size, channels)
        elif os.path.isfile(path):
            pixels = _read_idx(path)
            rows, cols = pixels.shape[2:]
            pixels = _pad(pixels, size) if size >= max(rows, cols) and size - min(rows, cols) <= 8 else _resize(pixels, size)
            if channels == 3:
                pixels = np.repeat(pixels, 3, axis=1)
            elif channels != 1:
                raise ValueError(f"channels is {channels}; IDX images are grayscale: use 1, or 3 to repeat them.")
        else:
            raise ValueError(f"--data '{path}' does not exist; give a folder of images or an IDX file (.gz or not).")
        self.pixels = torch.from_numpy(np.ascontiguousarray(pixels))

    def __len__(self):
        return self.pixels.shape[0]

    def __getitem__(self, index):
        return index

    def batch(self, indices, flips):
        """Floats in [-1, 1] for the given indices; the images whose flip is True are mirrored left to right."""
        x = self.pixels.index_select(0, indices).to(torch.float32) / 127.5 - 1
        return torch.where(flips.view(-1, 1, 1, 1), x.flip(-1), x)
