#!/usr/bin/env python3
"""Checks a SimpleUNet state_dict exported by Ddpm.Core against the PyTorch reference.

Ddpm.Core writes two files (see docs/interop.md):
    ddpm export --model MODEL.ddpm --out exported.pt --check-inputs inputs.safetensors
exported.pt is a torch.save-format state_dict; inputs.safetensors holds "input.x", "input.t" and
"output.eval", the output Ddpm.Core computed for them in eval mode. This script loads the weights
into the notebook's SimpleUnet (simple_unet_reference.py), runs the same inputs and compares.

Run:  /usr/bin/python3 tests/reference/check_export.py exported.pt inputs.safetensors
Exit code 0 when the largest difference is below 1e-4.
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simple_unet_reference import SimpleUnet, read_safetensors  # noqa: E402


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    state = torch.load(sys.argv[1])
    checks, _ = read_safetensors(sys.argv[2])
    # The architecture, read off the shapes: conv0 is [down0, channels, 3, 3], downs.i.conv1 is
    # [down(i+1), down(i), 3, 3], and time_mlp.1 is the time embedding's Linear(dim, dim).
    channels = state["conv0.weight"].shape[1]
    blocks = sum(1 for k in state if k.startswith("downs.") and k.endswith(".conv1.weight"))
    down = (state["conv0.weight"].shape[0],) + tuple(state["downs.%d.conv1.weight" % i].shape[0] for i in range(blocks))
    time_dim = state["time_mlp.1.weight"].shape[1]
    model = SimpleUnet(image_channels=channels, down_channels=down, time_emb_dim=time_dim)
    model.load_state_dict(state)
    model.eval()
    with torch.no_grad():
        out = model(checks["input.x"], checks["input.t"])
    error = (out - checks["output.eval"]).abs().max().item()
    print("SimpleUnet(%d, %s, %d): largest difference from Ddpm.Core's output %.3g" % (channels, down, time_dim, error))
    return 0 if error < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
