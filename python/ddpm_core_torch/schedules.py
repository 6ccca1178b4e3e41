"""Ddpm.Core's named beta schedules (src/Ddpm.Core/Schedules), in float64, by the names its options and CLI use."""

import math


def _linspace(start, end, count):
    step = 0.0 if count == 1 else (end - start) / (count - 1)
    return [start + i * step for i in range(count)]


def linear(timesteps, beta_start=1e-4, beta_end=0.02):
    """Ho et al. 2020: betas evenly spaced from beta_start to beta_end."""
    return _linspace(beta_start, beta_end, timesteps)


def quadratic(timesteps, beta_start=1e-4, beta_end=0.02):
    """The square roots evenly spaced ("scaled-linear" with 0.00085 and 0.012, Stable Diffusion's)."""
    return [r * r for r in _linspace(math.sqrt(beta_start), math.sqrt(beta_end), timesteps)]


def sigmoid(timesteps, beta_start=1e-4, beta_end=0.02):
    return [1 / (1 + math.exp(-x)) * (beta_end - beta_start) + beta_start for x in _linspace(-6, 6, timesteps)]


def cosine(timesteps, offset=0.008, max_beta=0.999):
    """Nichol & Dhariwal 2021, eq. 17: beta_t = min(1 - alpha_bar(t+1) / alpha_bar(t), max_beta)."""
    def alpha_bar(t):
        return math.cos(((t / timesteps) + offset) / (1 + offset) * math.pi / 2) ** 2

    betas = []
    previous = alpha_bar(0)
    for i in range(timesteps):
        current = alpha_bar(i + 1)
        betas.append(min(1 - current / previous, max_beta))
        previous = current
    return betas


SCHEDULES = {
    "linear": linear,
    "cosine": cosine,
    "quadratic": quadratic,
    "sigmoid": sigmoid,
    "scaled-linear": lambda timesteps: quadratic(timesteps, 0.00085, 0.012),
}


def get_betas(name, timesteps):
    if name not in SCHEDULES:
        raise ValueError(f"The schedule is {name!r}; use {', '.join(SCHEDULES)}.")
    if timesteps < 1:
        raise ValueError(f"T is {timesteps}; it must be at least 1.")
    return SCHEDULES[name](timesteps)
