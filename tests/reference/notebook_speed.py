#!/usr/bin/env python3
"""Speed reference for Ddpm.Core: the notebook's training step and sampling loop in plain PyTorch.

The DeepFindr notebook "A Diffusion Model from Scratch in Pytorch" trains SimpleUnet with
forward_diffusion_sample + L1 loss + Adam(lr=1e-3), and samples with sample_timestep (DDPM
ancestral, posterior variance, the network in train mode: the notebook never calls eval()). This
script times exactly those steps on random images (the data pipeline is left out on both sides) and
prints one JSON object, which tests/Ddpm.Benchmarks (`vs-pytorch`) reads.

Run:  /usr/bin/python3 tests/reference/notebook_speed.py --mode train --batch-size 16 --image-size 64
Modes: train (optimiser steps), sample (reverse steps), matmul (the fp32 GEMM peak of this device).
--network unet times Ddpm.Core's default UNet instead (UNetConfiguration's defaults, through the PyTorch twin in
python/ddpm_core_torch) with the same step; --precision bf16 runs the network under torch.autocast in bfloat16 with
channels_last, as a PyTorch user would.
"""

import argparse
import ctypes
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from simple_unet_reference import SimpleUnet, schedule_terms  # noqa: E402


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def get_index_from_list(vals, t, x_shape):
    # The notebook's helper: gathers one schedule term per batch element, shaped to broadcast.
    out = vals.gather(-1, t.cpu())
    return out.reshape(t.shape[0], *((1,) * (len(x_shape) - 1))).to(t.device)


def time_train(model, terms, args, device):
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    x0 = torch.rand(args.batch_size, args.channels, args.image_size, args.image_size, device=device) * 2 - 1
    times = []
    for _ in range(args.warmup + args.steps):
        synchronize(device)
        start = time.perf_counter()
        optimizer.zero_grad()
        t = torch.randint(0, args.timesteps, (args.batch_size,), device=device).long()
        # forward_diffusion_sample (eq. 4), then get_loss: L1 between the noise and its prediction.
        noise = torch.randn_like(x0)
        x_noisy = get_index_from_list(terms["sqrt_alphas_cumprod"], t, x0.shape) * x0 \
            + get_index_from_list(terms["sqrt_one_minus_alphas_cumprod"], t, x0.shape) * noise
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16"):
            noise_pred = model(x_noisy, t)
        loss = F.l1_loss(noise, noise_pred.float())
        loss.backward()
        optimizer.step()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return times[args.warmup:]


@torch.no_grad()
def time_sample(model, terms, args, device):
    x = torch.randn(args.batch_size, args.channels, args.image_size, args.image_size, device=device)
    times = []
    steps = args.warmup + args.steps
    for i in range(steps):
        step = args.timesteps - 1 - (i % args.timesteps)
        synchronize(device)
        start = time.perf_counter()
        t = torch.full((args.batch_size,), step, device=device, dtype=torch.long)
        # sample_timestep: the DDPM mean (eq. 11) plus posterior-variance noise except at t = 0.
        betas_t = get_index_from_list(terms["betas"], t, x.shape)
        sqrt_one_minus_t = get_index_from_list(terms["sqrt_one_minus_alphas_cumprod"], t, x.shape)
        sqrt_recip_alphas_t = get_index_from_list(terms["sqrt_recip_alphas"], t, x.shape)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16"):
            prediction = model(x, t).float()
        mean = sqrt_recip_alphas_t * (x - betas_t * prediction / sqrt_one_minus_t)
        if step == 0:
            x = mean
        else:
            variance_t = get_index_from_list(terms["posterior_variance"], t, x.shape)
            x = mean + torch.sqrt(variance_t) * torch.randn_like(x)
        x = torch.clamp(x, -1.0, 1.0)
        synchronize(device)
        times.append(time.perf_counter() - start)
    return times[args.warmup:]


def time_matmul(args, device):
    n = 2048
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    times = []
    for _ in range(args.warmup + args.steps):
        synchronize(device)
        start = time.perf_counter()
        torch.mm(a, b)
        synchronize(device)
        times.append(time.perf_counter() - start)
    return times[args.warmup:], 2.0 * n ** 3


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["train", "sample", "matmul"], default="train")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--timesteps", type=int, default=300)
    parser.add_argument("--steps", type=int, default=5, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="intra-op CPU threads (Debian's build defaults to 1)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32", help="bf16: torch.autocast, channels_last")
    parser.add_argument("--network", choices=["simple-unet", "unet"], default="simple-unet",
                        help="the notebook's SimpleUnet, or Ddpm.Core's default UNet through python/ddpm_core_torch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--arenas", type=int, default=0, help="limit glibc's malloc arenas (as MALLOC_ARENA_MAX); 0 keeps the default")
    args = parser.parse_args()
    for name in ("batch_size", "image_size", "channels", "timesteps", "steps", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")

    if args.arenas > 0:
        # M_ARENA_MAX is -8 in glibc's malloc.h; the same call Ddpm.Core's NativeAllocator.LimitArenas makes.
        if ctypes.CDLL("libc.so.6").mallopt(-8, args.arenas) != 1:
            parser.error("--arenas needs glibc")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    result = {
        "implementation": "pytorch",
        "version": torch.__version__,
        "mode": args.mode,
        "device": args.device,
        "threads": torch.get_num_threads(),
        "batchSize": args.batch_size,
        "shape": [args.channels, args.image_size, args.image_size],
        "precision": args.precision,
        "network": args.network,
    }
    if args.mode == "matmul":
        times, flops = time_matmul(args, device)
        result["gflopPerSecond"] = flops / statistics.median(times) / 1e9
    else:
        if args.network == "unet":
            from ddpm_core_torch.config import UNetConfig
            from ddpm_core_torch.networks import create_network
            model = create_network(UNetConfig(image_channels=args.channels)).to(device)
        else:
            model = SimpleUnet(image_channels=args.channels).to(device)
        if args.precision == "bf16":
            model = model.to(memory_format=torch.channels_last)
        model.train()
        terms = {k: v.to(device) for k, v in schedule_terms(args.timesteps).items()}
        times = (time_train if args.mode == "train" else time_sample)(model, terms, args, device)
        result["parameters"] = sum(p.numel() for p in model.parameters())
        result["stepSeconds"] = times
        result["imagesPerSecond"] = args.batch_size / statistics.median(times)
    # ru_maxrss is in KiB on Linux.
    result["peakMemoryMiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    if device.type == "cuda":
        result["peakDeviceMemoryMiB"] = torch.cuda.max_memory_allocated() / 1048576.0
    print(json.dumps(result))


if __name__ == "__main__":
    main()
