#!/usr/bin/env python3
"""Train a Ddpm.Core network with PyTorch's DistributedDataParallel, then sample it in .NET.

    torchrun --nproc_per_node 2 python/train_ddp.py --backend gloo --data DATA --preset tiny --image-size 32 \\
        --channels 1 --steps 300 --batch-size 32 --out runs/ddp
    ddpm import --safetensors runs/ddp/model.safetensors --out ddp.ddpm      # finds model.config.json beside it
    ddpm sample --model ddp.ddpm --count 64 --out grid.png

The network is one of Ddpm.Core's (python/ddpm_core_torch, state_dict names identical to .NET), described by a
model description JSON (``--config``, as ``ddpm export`` writes) or built from ``--preset``. The step is Ddpm.Core's
(ddpm_core_torch.training): x_t from the description's exact betas, the target of its prediction type, the loss,
Adam or AdamW, learning-rate warm-up and schedule, the EMA with warm-up. Option names follow DdpmTrainerOptions.

Data-parallel: every rank holds a replica, reads its own shard of each epoch (DistributedSampler), and DDP averages
the gradients; ``--batch-size`` is the images of one optimiser step over all ranks, as in .NET. Checkpoints every
``--checkpoint-interval`` steps (rank 0 writes); ``--resume`` continues from the newest and, because every step's
random numbers are seeded from (seed, step, rank), continues exactly as an uninterrupted run of the same world size.

Writes OUT/model.safetensors (the EMA weights) with OUT/model.config.json, OUT/loss.csv and OUT/checkpoints/.
"""

import argparse
import csv
import glob
import json
import os
import sys
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ddpm_core_torch import ModelSpec, UNetConfig, create_network, save_model  # noqa: E402
from ddpm_core_torch.data import ImageSet  # noqa: E402
from ddpm_core_torch.schedules import SCHEDULES, get_betas  # noqa: E402
from ddpm_core_torch.training import ScheduleTerms, ema_decay_at, ema_update, learning_rate_at, loss  # noqa: E402

# UNetPresets, by their CLI names (ddpm train --unet).
PRESETS = {
    "tiny": dict(base_channels=16, channel_multipliers=[1, 2], blocks_per_level=1, attention_levels=[], attention_heads=1, norm_groups=8, dropout=0.0),
    "small": dict(base_channels=24, channel_multipliers=[1, 2, 2], blocks_per_level=1, attention_levels=[2], attention_heads=4, norm_groups=8, dropout=0.0),
    "medium": dict(base_channels=32, channel_multipliers=[1, 2, 2], blocks_per_level=2, attention_levels=[2], attention_heads=4, norm_groups=8, dropout=0.1),
    "base": dict(),
    "large": dict(base_channels=128),
}


def parse_arguments(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="a folder of images (searched recursively) or an IDX images file (.gz or not)")
    p.add_argument("--out", required=True, help="output folder")
    net = p.add_argument_group("network (a description, or a preset)")
    net.add_argument("--config", help="a model description JSON (ddpm export writes NAME.config.json); its weights are not loaded")
    net.add_argument("--preset", choices=sorted(PRESETS), help="a UNet preset, as ddpm train --unet")
    net.add_argument("--image-size", type=int, default=32)
    net.add_argument("--channels", type=int, default=1, choices=[1, 3])
    net.add_argument("--timesteps", type=int, default=1000, help="T (with --preset; default 1000)")
    net.add_argument("--schedule", default="linear", choices=sorted(SCHEDULES), help="the beta schedule (with --preset)")
    net.add_argument("--prediction", default="Epsilon", choices=["Epsilon", "Sample", "Velocity"], help="DdpmTrainerOptions.Prediction (with --preset)")
    step = p.add_argument_group("the step (DdpmTrainerOptions)")
    step.add_argument("--steps", type=int, required=True, help="optimiser steps (MaxSteps)")
    step.add_argument("--batch-size", type=int, default=32, help="images per optimiser step over all ranks (BatchSize)")
    step.add_argument("--lr", type=float, default=1e-3, help="LearningRate")
    step.add_argument("--lr-schedule", default="constant", choices=["constant", "cosine"], help="LearningRateSchedule")
    step.add_argument("--warmup-steps", type=int, default=0, help="WarmupSteps")
    step.add_argument("--min-lr", type=float, default=0.0, help="MinLearningRate")
    step.add_argument("--optimizer", default="adam", choices=["adam", "adamw"], help="Optimizer")
    step.add_argument("--weight-decay", type=float, default=0.0, help="WeightDecay")
    step.add_argument("--adam-beta1", type=float, default=0.9)
    step.add_argument("--adam-beta2", type=float, default=0.999)
    step.add_argument("--adam-epsilon", type=float, default=1e-8)
    step.add_argument("--loss", default="l2", choices=["l2", "l1", "huber"], help="Loss")
    step.add_argument("--huber-delta", type=float, default=1.0, help="HuberDelta")
    step.add_argument("--min-snr-gamma", type=float, default=None, help="MinSnrGamma")
    step.add_argument("--max-grad-norm", type=float, default=None, help="MaxGradNorm")
    step.add_argument("--no-flip", action="store_true", help="RandomHorizontalFlip = false")
    step.add_argument("--ema-max-decay", type=float, default=0.9999, help="Ema.MaxDecay")
    step.add_argument("--ema-power", type=float, default=0.75, help="Ema.Power")
    step.add_argument("--ema-inverse-gamma", type=float, default=1.0, help="Ema.InverseGamma")
    step.add_argument("--seed", type=int, default=0, help="Seed")
    run = p.add_argument_group("the run")
    run.add_argument("--backend", default="gloo", choices=["gloo", "nccl"], help="gloo for CPUs, nccl for NVIDIA GPUs")
    run.add_argument("--device", default=None, help="cpu or cuda (default: cuda with nccl, else cpu); each rank takes cuda:LOCAL_RANK")
    run.add_argument("--threads", type=int, default=None, help="CPU threads per rank (default: cores / ranks)")
    run.add_argument("--checkpoint-interval", type=int, default=500, help="CheckpointInterval")
    run.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in OUT/checkpoints")
    run.add_argument("--log-interval", type=int, default=50, help="LogInterval")
    args = p.parse_args(argv)
    if (args.config is None) == (args.preset is None):
        p.error("give --config FILE or --preset NAME, one of the two")
    for name in ("steps", "batch_size", "checkpoint_interval", "log_interval"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} is {getattr(args, name)}; it must be at least 1")
    if not args.lr > 0:
        p.error(f"--lr is {args.lr}; it must be greater than 0")
    return args


def model_spec(args):
    if args.config:
        return ModelSpec.load(args.config)
    network = UNetConfig(image_channels=args.channels, **PRESETS[args.preset])
    network.validate()
    if args.image_size % network.size_multiple:
        raise ValueError(f"--image-size {args.image_size} must be a multiple of {network.size_multiple} for the {args.preset} preset.")
    return ModelSpec(network=network, image_shape=[args.channels, args.image_size, args.image_size],
                     betas=get_betas(args.schedule, args.timesteps), schedule=args.schedule, prediction=args.prediction)


def step_generator(seed, step, rank, device):
    """The generator of one rank's step: timesteps, noise and flips depend on (seed, step, rank) only, so a resumed run
    draws what an uninterrupted one would."""
    generator = torch.Generator(device=device)
    generator.manual_seed((seed * 1_000_003 + step) * 1_009 + rank)
    return generator


def newest_checkpoint(folder):
    files = sorted(glob.glob(os.path.join(folder, "checkpoint-*.pt")))
    return files[-1] if files else None


def main(argv=None):
    args = parse_arguments(argv)
    distributed = "WORLD_SIZE" in os.environ
    if distributed:
        dist.init_process_group(args.backend)
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    device_name = args.device or ("cuda" if args.backend == "nccl" else "cpu")
    device = torch.device(f"cuda:{local_rank}" if device_name == "cuda" else "cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // max(1, int(os.environ.get("LOCAL_WORLD_SIZE", world)))))
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} must be a multiple of the {world} ranks (each takes an equal share).")
    per_rank = args.batch_size // world

    spec = model_spec(args)
    if getattr(spec.network, "class_count", 0) > 0:
        raise SystemExit("The description is of a class-conditional network; train_ddp.py trains unconditional ones (labels are not read yet). Use ddpm train for class-conditional runs.")
    channels, height, width = spec.image_shape
    if height != width:
        raise SystemExit(f"The description's images are {height}x{width}; train_ddp.py reads square images.")
    data = ImageSet(args.data, height, channels)
    if len(data) < args.batch_size:
        raise SystemExit(f"--data holds {len(data)} images, fewer than --batch-size {args.batch_size}.")

    torch.manual_seed(args.seed)
    network = create_network(spec.network).to(device)
    ema = create_network(spec.network).to(device)
    ema.load_state_dict(network.state_dict())
    ema.requires_grad_(False)
    optimizer_type = torch.optim.AdamW if args.optimizer == "adamw" else torch.optim.Adam
    optimizer = optimizer_type(network.parameters(), lr=args.lr, betas=(args.adam_beta1, args.adam_beta2), eps=args.adam_epsilon, weight_decay=args.weight_decay)
    terms = ScheduleTerms(spec.betas, device)
    checkpoints = os.path.join(args.out, "checkpoints")
    os.makedirs(checkpoints, exist_ok=True)

    step, losses = 0, []
    if args.resume and (path := newest_checkpoint(checkpoints)):
        state = torch.load(path, map_location=device)
        if state["world_size"] != world:
            raise SystemExit(f"{path} was written by {state['world_size']} ranks; resume with the same --nproc_per_node x nodes ({state['world_size']}).")
        network.load_state_dict(state["network"])
        ema.load_state_dict(state["ema"])
        optimizer.load_state_dict(state["optimizer"])
        step, losses = state["step"], state["losses"]
        if rank == 0:
            print(f"Resuming from {path} at step {step}", flush=True)

    model = DistributedDataParallel(network, device_ids=[local_rank] if device.type == "cuda" else None) if distributed else network
    sampler = torch.utils.data.distributed.DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=args.seed, drop_last=True) if distributed else None
    batches_per_epoch = (len(data) // world) // per_rank
    if rank == 0:
        print(f"Training {spec.network} on {len(data):,} images of {spec.image_shape}, {world} rank(s) x {per_rank} = batch {args.batch_size}, "
              f"steps {step + 1}..{args.steps}, T = {spec.timesteps} {spec.schedule}, {args.loss} loss, {args.optimizer} lr {args.lr}, "
              f"{args.backend} on {device_name}", flush=True)

    network.train()
    clock = time.time()
    first = step
    epoch_order = None
    while step < args.steps:
        epoch, position = divmod(step, batches_per_epoch)
        if position == 0 or epoch_order is None:
            if sampler is not None:
                sampler.set_epoch(epoch)
                epoch_order = torch.tensor(list(iter(sampler)), dtype=torch.int64)
            else:
                epoch_order = torch.randperm(len(data), generator=torch.Generator().manual_seed(args.seed + epoch))
        step += 1
        for group in optimizer.param_groups:
            group["lr"] = learning_rate_at(step, args.steps, args.lr, args.warmup_steps, args.lr_schedule, args.min_lr)
        generator = step_generator(args.seed, step, rank, "cpu")
        indices = epoch_order[position * per_rank:(position + 1) * per_rank]
        flips = torch.zeros(per_rank, dtype=torch.bool) if args.no_flip else torch.rand(per_rank, generator=generator) < 0.5
        x0 = data.batch(indices, flips).to(device)
        t = torch.randint(0, spec.timesteps, (per_rank,), generator=generator).to(device)
        noise = torch.randn(x0.shape, generator=generator).to(device)
        torch.manual_seed((args.seed * 1_000_003 + step) * 1_009 + rank)  # dropout
        predicted = model(terms.add_noise(x0, noise, t), t)
        value = loss(predicted, terms.target(spec.prediction, x0, noise, t), t, terms, spec.prediction, args.loss, args.huber_delta, args.min_snr_gamma)
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        if args.max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(network.parameters(), args.max_grad_norm)
        optimizer.step()
        ema_update(ema, network, ema_decay_at(step, args.ema_max_decay, args.ema_power, args.ema_inverse_gamma))

        mean = value.detach()
        if distributed:
            dist.all_reduce(mean)
            mean /= world
        mean = mean.item()
        if mean != mean or mean in (float("inf"), float("-inf")):
            raise SystemExit(f"The loss is {mean} at step {step}: training diverged. Lower --lr, or set --max-grad-norm 1.")
        losses.append(mean)
        if rank == 0 and (step % args.log_interval == 0 or step == args.steps):
            elapsed = time.time() - clock
            print(f"step {step}/{args.steps}: loss {mean:.4f}, lr {optimizer.param_groups[0]['lr']:.3g}, "
                  f"{(step - first) * args.batch_size / max(elapsed, 1e-9):.1f} images/s ({(step - first) * per_rank / max(elapsed, 1e-9):.1f} per rank)", flush=True)
        if rank == 0 and (step % args.checkpoint_interval == 0 or step == args.steps):
            path = os.path.join(checkpoints, f"checkpoint-{step:08d}.pt")
            torch.save({"network": network.state_dict(), "ema": ema.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
                        "losses": losses, "world_size": world, "arguments": vars(args)}, path + ".tmp")
            os.replace(path + ".tmp", path)

    if rank == 0:
        elapsed = time.time() - clock
        spec.trained_steps = step
        spec.weights = "ema"
        weights = os.path.join(args.out, "model.safetensors")
        save_model(ema, spec, weights, {"format": "pt", "generator": "python/train_ddp.py", "torch": torch.__version__,
                                       "ddpm.ranks": str(world), "ddpm.backend": args.backend})
        with open(os.path.join(args.out, "loss.csv"), "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["step", "loss"])
            writer.writerows((i + 1, f"{v:.6g}") for i, v in enumerate(losses))
        summary = {"model": weights, "config": weights[:-len(".safetensors")] + ".config.json", "steps": step, "ranks": world,
                   "seconds": round(elapsed, 1), "imagesPerSecond": round((step - first) * args.batch_size / max(elapsed, 1e-9), 1),
                   "imagesPerSecondPerRank": round((step - first) * per_rank / max(elapsed, 1e-9), 1), "lastLoss": losses[-1] if losses else None}
        print(json.dumps(summary), flush=True)
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
