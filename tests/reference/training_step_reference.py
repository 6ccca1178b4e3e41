#!/usr/bin/env python3
"""PyTorch reference for one Ddpm.Core training step.

For the notebook's SimpleUnet with the committed small weights (fixtures/simple_unet_small.safetensors),
fixed x_0, noise and t, and every prediction target (eps, x_0, v) with every loss (L1, L2, Huber), and
min-SNR-5 with L2 for each target, it computes Algorithm 1's loss and its gradients, written from the
papers' equations:

  x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps                        (Ho et al. 2020, eq. 4)
  targets: eps; x_0; v = sqrt(abar_t) eps - sqrt(1 - abar_t) x_0       (Salimans & Ho 2022)
  min-SNR-gamma weight: min(SNR, gamma) / SNR (eps), min(SNR, gamma) (x_0),
                        min(SNR, gamma) / (SNR + 1) (v), SNR = abar / (1 - abar)   (Hang et al. 2023)

The network runs in train mode (BatchNorm batch statistics), as the trainer's does. The schedule terms
are computed in float64 and stored in float32, as Ddpm.Core's NoiseScheduler does.

Writes fixtures/training_step_t300.safetensors; the C# test TrainingStepGoldenTests reads it.
Run:  /usr/bin/python3 tests/reference/training_step_reference.py
"""

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simple_unet_reference as ref  # noqa: E402

ref.GENERATOR = "tests/reference/training_step_reference.py"
GAMMA = 5.0
HUBER_DELTA = 1.0
# Parameters whose gradients are stored in full (the first, one in the middle, the last two).
GRADIENT_PARAMETERS = ("time_mlp.1.weight", "downs.2.conv1.weight", "ups.3.transform.weight", "output.weight", "output.bias")


def load_model():
    state, _ = ref.read_safetensors(os.path.join(ref.FIXTURE_DIR, "simple_unet_small.safetensors"))
    model = ref.SimpleUnet(image_channels=3, down_channels=(8, 16, 32, 64, 128), time_emb_dim=32)
    model.load_state_dict({k[len("model."):]: v for k, v in state.items() if k.startswith("model.")})
    model.train()
    return model


def schedule(timesteps=300):
    betas = torch.linspace(0.0001, 0.02, timesteps, dtype=torch.float64)
    alpha_bar = torch.cumprod(1.0 - betas, dim=0)
    return alpha_bar.float(), alpha_bar.sqrt().float(), (1.0 - alpha_bar).sqrt().float()


def distance(loss, predicted, target):
    if loss == "l1":
        return F.l1_loss(predicted, target, reduction="none")
    if loss == "l2":
        return F.mse_loss(predicted, target, reduction="none")
    return F.huber_loss(predicted, target, reduction="none", delta=HUBER_DELTA)


def step_loss(model, prediction, loss, min_snr, x0, noise, t, terms):
    alpha_bar, sqrt_ab, sqrt_1m = terms
    a = sqrt_ab[t].view(-1, 1, 1, 1)
    b = sqrt_1m[t].view(-1, 1, 1, 1)
    xt = a * x0 + b * noise
    target = {"epsilon": noise, "sample": x0, "velocity": a * noise - b * x0}[prediction]
    per_element = distance(loss, model(xt, t), target)
    if not min_snr:
        return per_element.mean()
    ab = alpha_bar[t]
    snr = ab / (1 - ab)
    clipped = torch.clamp(snr, max=GAMMA)
    weight = {"epsilon": clipped / snr, "sample": clipped, "velocity": clipped / (snr + 1)}[prediction]
    weight = torch.where(snr == 0, torch.ones_like(weight), weight)
    return (per_element.flatten(1).mean(1) * weight).mean()


def main():
    torch.set_num_threads(2)
    terms = schedule()
    generator = torch.Generator().manual_seed(2024)
    x0 = torch.randn(4, 3, 32, 32, generator=generator).clamp(-1, 1)
    noise = torch.randn(4, 3, 32, 32, generator=generator)
    t = torch.tensor([0, 77, 150, 299], dtype=torch.int64)
    tensors = [("input.x0", x0), ("input.noise", noise), ("input.t", t)]

    cases = [(p, l, False) for p in ("epsilon", "sample", "velocity") for l in ("l1", "l2", "huber")]
    cases += [(p, "l2", True) for p in ("epsilon", "sample", "velocity")]
    for prediction, loss, min_snr in cases:
        model = load_model()
        value = step_loss(model, prediction, loss, min_snr, x0, noise, t, terms)
        value.backward()
        name = "%s.%s%s" % (prediction, loss, ".minsnr" if min_snr else "")
        grads = dict((n, p.grad.detach().clone()) for n, p in model.named_parameters())
        norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads.values())).float()
        tensors.append(("loss." + name, value.detach().reshape(1)))
        tensors.append(("gradnorm." + name, norm.reshape(1)))
        for parameter in GRADIENT_PARAMETERS:
            tensors.append(("grad.%s.%s" % (name, parameter), grads[parameter]))
        print("%-24s loss %.6f  |grad| %.6f" % (name, value.item(), norm.item()))

    path = os.path.join(ref.FIXTURE_DIR, "training_step_t300.safetensors")
    ref.write_safetensors(path, tensors)
    ref.check_roundtrip(path, tensors)
    print("wrote", path)


if __name__ == "__main__":
    main()
