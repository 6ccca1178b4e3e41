#!/usr/bin/env python3
"""Parity fixtures for python/ddpm_core_torch, the PyTorch twins of Ddpm.Core's networks.

For each configuration below, the twin is built from the configuration JSON Ddpm.Core writes, given
seeded weights (every parameter perturbed, so that the layers Ddpm.Core starts at zero or one matter
too), and run on seeded inputs in eval mode and, where dropout is 0, in train mode. Each fixture holds
the weights under Ddpm.Core's state_dict names (`model.<name>`), the inputs and the outputs;
`NetworkParityTests` loads the weights into Ddpm.Core's own network with strict matching and compares
its outputs within 1e-4.

The twin's SimpleUNet is also checked here against the notebook re-implementation's committed fixture
(simple_unet_small.safetensors): same weights, same outputs within 1e-5, in eval and train mode.

Run:  /usr/bin/python3 tests/reference/network_parity_reference.py
"""

import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

from ddpm_core_torch import (  # noqa: E402
    SimpleUNet, SimpleUNetConfig, UNet, UNetConfig, load_file, load_model, save_file, save_model)
from ddpm_core_torch.schedules import SCHEDULES, get_betas  # noqa: E402

FIXTURES = os.path.join(HERE, "fixtures")
GENERATOR = "tests/reference/network_parity_reference.py"

# name -> (configuration as Ddpm.Core writes it, image size)
CASES = {
    # UNetPresets.Tiny(3)
    "tiny": ({"imageChannels": 3, "baseChannels": 16, "channelMultipliers": [1, 2], "blocksPerLevel": 1, "attentionLevels": [],
              "attentionHeads": 1, "dropout": 0.0, "normGroups": 8, "classCount": 0}, 16),
    # UNetPresets.Small(1), the default network
    "small": ({"imageChannels": 1, "baseChannels": 24, "channelMultipliers": [1, 2, 2], "blocksPerLevel": 1, "attentionLevels": [2],
               "attentionHeads": 4, "dropout": 0.0, "normGroups": 8, "classCount": 0}, 32),
    # Small with 10 classes (and the no-class token)
    "small-classes": ({"imageChannels": 1, "baseChannels": 24, "channelMultipliers": [1, 2, 2], "blocksPerLevel": 1, "attentionLevels": [2],
                       "attentionHeads": 4, "dropout": 0.0, "normGroups": 8, "classCount": 10}, 32),
    # Every other field off its preset value: 2 blocks per level, attention at two levels, 2 heads, dropout, 3 levels
    "wide": ({"imageChannels": 3, "baseChannels": 16, "channelMultipliers": [1, 2, 3], "blocksPerLevel": 2, "attentionLevels": [0, 2],
              "attentionHeads": 2, "dropout": 0.1, "normGroups": 4, "classCount": 3}, 16),
}


def perturb(network, generator):
    """Seeded weights everywhere: Ddpm.Core zeroes the last conv of each block and sets GroupNorm to 1 and 0."""
    with torch.no_grad():
        for name, parameter in network.named_parameters():
            noise = torch.randn(parameter.shape, generator=generator)
            if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name.endswith("norm.weight") or name.endswith("norm_out.weight"):
                parameter.copy_(1 + 0.1 * noise)
            else:
                parameter.copy_(0.1 * noise)


def unet_case(name, configuration, size):
    config = UNetConfig.from_json(configuration)
    generator = torch.Generator().manual_seed(1234)
    torch.manual_seed(1234)
    network = UNet(config)
    perturb(network, generator)
    x = torch.randn((3, config.image_channels, size, size), generator=generator)
    t = torch.tensor([0, 5, 999], dtype=torch.int64)
    tensors = {f"model.{k}": v for k, v in network.state_dict().items()}
    tensors["input.x"] = x
    tensors["input.t"] = t
    labels = None
    if config.class_count > 0:
        labels = torch.tensor([0, config.class_count - 1, config.class_count], dtype=torch.int64)
        tensors["input.labels"] = labels
    with torch.no_grad():
        network.eval()
        tensors["output.eval"] = network(x, t, labels)
        if config.dropout == 0:
            network.train()
            tensors["output.train"] = network(x, t, labels)
        if labels is not None:
            network.eval()
            tensors["output.eval.unlabelled"] = network(x, t, None)
    path = os.path.join(FIXTURES, f"unet_parity_{name}.safetensors")
    save_file(tensors, path, {"generator": GENERATOR, "torch": torch.__version__, "architecture": "unet", "configuration": json.dumps(configuration)})
    reread, _ = load_file(path)
    assert all(torch.equal(reread[k], v) for k, v in tensors.items()), path
    print(f"{path}: {sum(p.numel() for p in network.parameters()):,} parameters, |output.eval| mean {tensors['output.eval'].abs().mean():.4f}")


def check_simple_unet():
    """The twin's SimpleUNet against the notebook re-implementation's fixture."""
    tensors, _ = load_file(os.path.join(FIXTURES, "simple_unet_small.safetensors"))
    network = SimpleUNet(SimpleUNetConfig(image_channels=3, down_channels=[8, 16, 32, 64, 128], time_embedding_dim=32))
    network.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}, strict=True)
    with torch.no_grad():
        network.eval()
        eval_error = (network(tensors["input.x"], tensors["input.t"]) - tensors["output.eval"]).abs().max().item()
        network.train()
        train_error = (network(tensors["input.x"], tensors["input.t"]) - tensors["output.train"]).abs().max().item()
    assert eval_error < 1e-5 and train_error < 1e-5, (eval_error, train_error)
    print(f"SimpleUNet twin matches simple_unet_small.safetensors: max error eval {eval_error:.2e}, train {train_error:.2e}")


def round_trip():
    """A Ddpm.Core export (committed; made by the commands in tests/reference/README.md) into the twin, strictly, and back.

    The twin must reproduce Ddpm.Core's output on the inputs `ddpm export --check-inputs` stored; then the twin's own
    state_dict and description are written as twin_roundtrip_tiny.*, with its outputs, for NetworkParityTests to import.
    """
    network, spec = load_model(os.path.join(FIXTURES, "dotnet_export_tiny.safetensors"))
    check, _ = load_file(os.path.join(FIXTURES, "dotnet_export_tiny.check.safetensors"))
    with torch.no_grad():
        network.eval()
        output = network(check["input.x"], check["input.t"])
    error = (output - check["output.eval"]).abs().max().item()
    scale = check["output.eval"].abs().mean().item()
    assert error < 1e-4, error
    print(f"Ddpm.Core export -> twin: max error {error:.2e} (mean |output| {scale:.4f}), {spec.network}")
    path = os.path.join(FIXTURES, "twin_roundtrip_tiny.safetensors")
    save_model(network, spec, path, {"generator": GENERATOR, "torch": torch.__version__})
    save_file({"input.x": check["input.x"], "input.t": check["input.t"], "output.eval": output},
              os.path.join(FIXTURES, "twin_roundtrip_tiny.check.safetensors"), {"generator": GENERATOR})
    print(f"twin -> {path} and its .config.json")


def schedules():
    """The twins' named beta schedules (what train_ddp.py --preset uses) at T = 1000 and T = 7, for ScheduleParityTests."""
    values = {f"{name}/{t}": get_betas(name, t) for name in SCHEDULES for t in (1000, 7)}
    path = os.path.join(FIXTURES, "schedules_python.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"generator": GENERATOR, "betas": values}, handle)
    print(f"{path}: {len(values)} schedules")


def main():
    torch.set_num_threads(2)
    schedules()
    for name, (configuration, size) in CASES.items():
        unet_case(name, configuration, size)
    check_simple_unet()
    round_trip()


if __name__ == "__main__":
    main()
