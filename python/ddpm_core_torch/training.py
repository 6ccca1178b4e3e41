"""The training step of Ddpm.Core's DdpmTrainer, in PyTorch: one definition of each piece, named after the .NET option.

- ``learning_rate_at``: DdpmTrainerOptions.LearningRate, WarmupSteps, LearningRateSchedule, MinLearningRate
  (LearningRates.At: linear warm-up from 0, then constant or half a cosine down to the minimum at the last step).
- ``ema_decay_at``: EmaOptions.MaxDecay, Power, InverseGamma, StartStep (ExponentialMovingAverage.DecayAt).
- ``ScheduleTerms``: NoiseScheduler's terms, computed in float64 and stored in float32.
- ``loss``: Algorithm 1 with DdpmTrainerOptions.Prediction, Loss, HuberDelta, MinSnrGamma (TrainingLoss.Compute).
- Adam and AdamW with AdamBeta1, AdamBeta2, AdamEpsilon, WeightDecay are torch.optim's, whose update is the
  same as Ddpm.Core's AdamOptimizer.
"""

import math

import torch
import torch.nn.functional as F

from .schedules import get_betas


def learning_rate_at(step, total_steps, learning_rate, warmup_steps=0, schedule="constant", min_learning_rate=0.0):
    """The learning rate of optimiser step ``step`` (1 for the first) of ``total_steps``."""
    if warmup_steps > 0 and step <= warmup_steps:
        return learning_rate * step / warmup_steps
    if schedule == "constant" or total_steps <= warmup_steps:
        return learning_rate
    progress = min(max((step - warmup_steps) / (total_steps - warmup_steps), 0.0), 1.0)
    return min_learning_rate + (learning_rate - min_learning_rate) * 0.5 * (1 + math.cos(math.pi * progress))


def ema_decay_at(step, max_decay=0.9999, power=0.75, inverse_gamma=1.0, start_step=0):
    """The EMA decay after optimiser step ``step`` (1 for the first): 1 - (1 + n / inverse_gamma)^-power, n = step - start - 1."""
    effective = step - start_step - 1
    if effective <= 0:
        return 0.0
    return min(max(1 - (1 + effective / inverse_gamma) ** -power, 0.0), max_decay)


@torch.no_grad()
def ema_update(average, network, decay):
    """theta_ema <- d theta_ema + (1 - d) theta; buffers are copied."""
    for a, p in zip(average.parameters(), network.parameters()):
        a.lerp_(p, 1 - decay)
    for a, b in zip(average.buffers(), network.buffers()):
        a.copy_(b)


class ScheduleTerms:
    """sqrt(alpha_bar_t) and sqrt(1 - alpha_bar_t) of a list of betas, computed in float64, stored in float32."""

    def __init__(self, betas, device="cpu"):
        betas64 = torch.tensor(betas, dtype=torch.float64)
        alphas_cumprod = torch.cumprod(1 - betas64, dim=0)
        self.timesteps = len(betas)
        self.alphas_cumprod = alphas_cumprod.to(torch.float32).to(device)
        self.sqrt_alphas_cumprod = alphas_cumprod.sqrt().to(torch.float32).to(device)
        self.sqrt_one_minus_alphas_cumprod = (1 - alphas_cumprod).sqrt().to(torch.float32).to(device)

    @classmethod
    def named(cls, schedule, timesteps, device="cpu"):
        return cls(get_betas(schedule, timesteps), device)

    def add_noise(self, x0, noise, t):
        """x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps (Ho et al. 2020, eq. 4)."""
        a = self.sqrt_alphas_cumprod.index_select(0, t).view(-1, 1, 1, 1)
        s = self.sqrt_one_minus_alphas_cumprod.index_select(0, t).view(-1, 1, 1, 1)
        return a * x0 + s * noise

    def target(self, prediction, x0, noise, t):
        """What the network learns: eps, x_0, or v = sqrt(alpha_bar) eps - sqrt(1 - alpha_bar) x_0."""
        if prediction == "Epsilon":
            return noise
        if prediction == "Sample":
            return x0
        a = self.sqrt_alphas_cumprod.index_select(0, t).view(-1, 1, 1, 1)
        s = self.sqrt_one_minus_alphas_cumprod.index_select(0, t).view(-1, 1, 1, 1)
        return a * noise - s * x0


def _distance(predicted, target, loss, huber_delta, reduction):
    if loss == "l1":
        return F.l1_loss(predicted, target, reduction=reduction)
    if loss == "l2":
        return F.mse_loss(predicted, target, reduction=reduction)
    return F.huber_loss(predicted, target, reduction=reduction, delta=huber_delta)


def loss(predicted, target, t, terms, prediction="Epsilon", loss_type="l2", huber_delta=1.0, min_snr_gamma=None):
    """The training loss, min-SNR-gamma weighted when asked (Hang et al. 2023; a pure-noise step gets weight 1)."""
    if min_snr_gamma is None:
        return _distance(predicted, target, loss_type, huber_delta, "mean")
    per_sample = _distance(predicted, target, loss_type, huber_delta, "none").flatten(1).mean(dim=1)
    alpha_bar = terms.alphas_cumprod.index_select(0, t)
    snr = alpha_bar / (1 - alpha_bar)
    clipped = snr.clamp_max(min_snr_gamma)
    if prediction == "Epsilon":
        weight = clipped / snr
    elif prediction == "Sample":
        weight = clipped
    else:
        weight = clipped / (snr + 1)
    weight = torch.where(snr == 0, torch.ones_like(weight), weight)
    return (per_sample * weight).mean()
