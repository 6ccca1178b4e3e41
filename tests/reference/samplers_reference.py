#!/usr/bin/env python3
"""PyTorch reference trajectories for Ddpm.Core's sampling methods, written from the papers' equations.

The notebook's SimpleUnet with the committed small weights (fixtures/simple_unet_small.safetensors) in eval mode,
T = 300 linear betas (abar in float64), 10 trailing timesteps (t_i = round(T - i T/S) - 1), 2 images of 3x16x16,
no clipping or clamping. Each method runs from the same x_T with recorded noise; every state after every step
is stored. With a = sqrt(abar), sigma_vp = sqrt(1 - abar), s the next timestep (abar_s = 1 at the end):

  ddpm      x_s = sqrt(abar_s) b'/(1-abar_t) x0 + sqrt(1-b') (1-abar_s)/(1-abar_t) x_t + sqrt((1-abar_s)/(1-abar_t) b') z,
            b' = 1 - abar_t/abar_s                                  (Ho et al. 2020, eq. 7 between the chosen steps)
  ddim      x_s = sqrt(abar_s) x0 + sqrt(1-abar_s-sig^2) eps + sig z, sig = eta sqrt((1-abar_s)/(1-abar_t)) sqrt(1-abar_t/abar_s)
            (Song et al. 2021, eq. 12 and 16), eta = 0.5
  dpm++2m   x_s = (sig_s/sig_t) x_t - a_s (exp(-h) - 1) D, h = lambda_s - lambda_t, lambda = log(a/sig_vp);
            D = x0 first, then (1 + 1/(2r)) x0_t - 1/(2r) x0_prev, r = h_prev/h; first order at the second-to-last
            step (fewer than 15 steps) and x0 at the last                     (Lu et al. 2022, Algorithm 2)
  euler     k-diffusion sample_euler in sigma = sqrt((1-abar)/abar), x~ = x/a: x~ += (x~ - x0)/sigma (sigma_s - sigma)
  euler-a   k-diffusion sample_euler_ancestral, eta = 1: sigma_up, sigma_down, x~ += d (sigma_down - sigma) + z sigma_up
  heun      k-diffusion sample_heun (no churn): Euler predictor, model at sigma_s, mean of the slopes; Euler to sigma = 0

euler-a-karras is euler-a on Karras spacing instead: k-diffusion's get_sigmas_karras (Karras et al. 2022, eq. 5,
rho = 7) between sigma(T-1) and sigma(0), each level replaced by the training timestep nearest in log sigma (the
first is T-1, the last 0), then made strictly descending (lifted above the next, then capped below the previous).

Writes fixtures/samplers_t300.safetensors; SamplerGoldenTests reads it.
Run:  /usr/bin/python3 tests/reference/samplers_reference.py
"""

import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simple_unet_reference as ref  # noqa: E402

ref.GENERATOR = "tests/reference/samplers_reference.py"
T = 300
S = 10
SHAPE = (2, 3, 16, 16)


def load_model():
    state, _ = ref.read_safetensors(os.path.join(ref.FIXTURE_DIR, "simple_unet_small.safetensors"))
    model = ref.SimpleUnet(image_channels=3, down_channels=(8, 16, 32, 64, 128), time_emb_dim=32)
    model.load_state_dict({k[len("model."):]: v for k, v in state.items() if k.startswith("model.")})
    model.eval()
    return model


ABAR = torch.cumprod(1.0 - torch.linspace(0.0001, 0.02, T, dtype=torch.float64), dim=0).tolist()


def abar(t):
    return 1.0 if t < 0 else ABAR[t]


def timesteps():
    return [int(round(T - i * T / S)) - 1 for i in range(S)]


def karras_timesteps(rho=7.0):
    log_sigma = [0.5 * math.log((1 - a) / a) for a in ABAR]
    top, bottom = math.exp(log_sigma[-1]) ** (1 / rho), math.exp(log_sigma[0]) ** (1 / rho)
    levels = [(top + i / (S - 1) * (bottom - top)) ** rho for i in range(S)]
    chosen = [min(range(T), key=lambda u: abs(log_sigma[u] - math.log(level))) for level in levels]
    chosen[0], chosen[-1] = T - 1, 0
    for i in range(S - 2, -1, -1):
        chosen[i] = max(chosen[i], chosen[i + 1] + 1)
    chosen[0] = min(chosen[0], T - 1)
    for i in range(1, S):
        chosen[i] = min(chosen[i], chosen[i - 1] - 1)
    return chosen


def denoise(model, x, t):
    with torch.no_grad():
        eps = model(x, torch.full((x.shape[0],), t, dtype=torch.int64))
    x0 = (x - math.sqrt(1 - abar(t)) * eps) / math.sqrt(abar(t))
    return x0, eps


def sigma(t):
    return math.sqrt((1 - abar(t)) / abar(t))


def run(model, method, x, noise, steps=None):
    steps = steps or timesteps()
    draws = iter(noise)
    states = []
    previous_x0 = None
    for i, t in enumerate(steps):
        s = steps[i + 1] if i + 1 < len(steps) else -1
        x0, eps = denoise(model, x, t)
        if method == "ddpm":
            b = 1 - abar(t) / abar(s)
            mean = math.sqrt(abar(s)) * b / (1 - abar(t)) * x0 + math.sqrt(1 - b) * (1 - abar(s)) / (1 - abar(t)) * x
            x = mean if s < 0 else mean + math.sqrt((1 - abar(s)) / (1 - abar(t)) * b) * next(draws)
        elif method == "ddim":
            sig = 0.5 * math.sqrt((1 - abar(s)) / (1 - abar(t))) * math.sqrt(1 - abar(t) / abar(s))
            x = math.sqrt(abar(s)) * x0 + math.sqrt(max(0.0, 1 - abar(s) - sig * sig)) * eps
            if sig > 0 and s >= 0:
                x = x + sig * next(draws)
        elif method == "dpm++2m":
            if s < 0:
                x = x0
            else:
                lam = lambda u: 0.5 * math.log(abar(u) / (1 - abar(u)))
                h = lam(s) - lam(t)
                data = x0
                if previous_x0 is not None and i != len(steps) - 2:
                    r = (lam(t) - lam(steps[i - 1])) / h
                    data = (1 + 1 / (2 * r)) * x0 - 1 / (2 * r) * previous_x0
                x = math.sqrt((1 - abar(s)) / (1 - abar(t))) * x - math.sqrt(abar(s)) * (math.exp(-h) - 1) * data
            previous_x0 = x0
        elif method in ("euler", "euler-a", "heun"):
            sig, sig_next = sigma(t), (0.0 if s < 0 else sigma(s))
            xs = x / math.sqrt(abar(t))
            d = (xs - x0) / sig
            if method == "euler":
                xs = xs + d * (sig_next - sig)
            elif method == "euler-a":
                up = min(sig_next, math.sqrt(sig_next ** 2 * (sig ** 2 - sig_next ** 2) / sig ** 2))
                down = math.sqrt(sig_next ** 2 - up ** 2)
                xs = xs + d * (down - sig)
                if up > 0:
                    xs = xs + next(draws) * up
            else:
                predictor = xs + d * (sig_next - sig)
                if s < 0:
                    xs = predictor
                else:
                    x0_next, _ = denoise(model, predictor * math.sqrt(abar(s)), s)
                    d_next = (predictor - x0_next) / sig_next
                    xs = xs + (d + d_next) / 2 * (sig_next - sig)
            x = xs * math.sqrt(abar(s))
        states.append(x.clone())
    return states


def main():
    torch.set_num_threads(2)
    model = load_model()
    generator = torch.Generator().manual_seed(77)
    x_t = torch.randn(*SHAPE, generator=generator)
    noise = torch.randn(S, *SHAPE, generator=generator)
    tensors = [("input.x_T", x_t), ("input.noise", noise), ("input.timesteps", torch.tensor(timesteps(), dtype=torch.int64))]
    for method in ("ddpm", "ddim", "dpm++2m", "euler", "euler-a", "heun"):
        states = run(model, method, x_t.clone(), list(noise))
        tensors.append(("states." + method, torch.stack(states)))
        print("%-8s final mean %.6f std %.6f" % (method, states[-1].mean().item(), states[-1].std().item()))
    karras = karras_timesteps()
    tensors.append(("input.timesteps.karras", torch.tensor(karras, dtype=torch.int64)))
    states = run(model, "euler-a", x_t.clone(), list(noise), karras)
    tensors.append(("states.euler-a-karras", torch.stack(states)))
    print("karras timesteps", karras)
    print("%-8s final mean %.6f std %.6f" % ("euler-a-karras", states[-1].mean().item(), states[-1].std().item()))
    path = os.path.join(ref.FIXTURE_DIR, "samplers_t300.safetensors")
    ref.write_safetensors(path, tensors)
    ref.check_roundtrip(path, tensors)
    print("wrote", path)


if __name__ == "__main__":
    main()
