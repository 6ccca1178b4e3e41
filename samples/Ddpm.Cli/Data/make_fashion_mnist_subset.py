#!/usr/bin/env python3
"""Writes the first N images and labels of Fashion-MNIST's training split as IDX .gz files.

The `ddpm` command ships the result (samples/Ddpm.Cli/Data) so that `ddpm train` needs no download.
Input: Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist). The output is
byte-for-byte reproducible (gzip header without a timestamp or name).

    python3 samples/Ddpm.Cli/Data/make_fashion_mnist_subset.py [--count 10000] [--source DIR] [--out DIR]
"""
import argparse
import gzip
import hashlib
import os
import struct


def subset(source, target, count, header_size):
    with gzip.open(source, "rb") as f:
        data = f.read()
    magic, total = struct.unpack(">II", data[:8])
    if count > total:
        raise SystemExit(f"{source} holds {total} items, fewer than {count}")
    item = (len(data) - header_size) // total
    header = bytearray(data[:header_size])
    header[4:8] = struct.pack(">I", count)
    payload = bytes(header) + data[header_size:header_size + count * item]
    with open(target, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as out:
            out.write(payload)
    with open(target, "rb") as f:
        print(f"{os.path.basename(target)} {hashlib.sha256(f.read()).hexdigest()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--source", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    prefix = f"train-{args.count // 1000}k"
    subset(os.path.join(args.source, "train-images-idx3-ubyte.gz"), os.path.join(args.out, f"{prefix}-images-idx3-ubyte.gz"), args.count, 16)
    subset(os.path.join(args.source, "train-labels-idx1-ubyte.gz"), os.path.join(args.out, f"{prefix}-labels-idx1-ubyte.gz"), args.count, 8)


if __name__ == "__main__":
    main()
