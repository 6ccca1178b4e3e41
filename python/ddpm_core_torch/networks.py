"""PyTorch twins of Ddpm.Core's networks (src/Ddpm.Core/Models).

Every module, parameter and buffer carries the name and shape of its .NET counterpart, so a state_dict
moves between the two with strict matching: ``UNet`` mirrors ``Ddpm.Core.Models.UNet`` and
``SimpleUNet`` mirrors ``Ddpm.Core.Models.SimpleUNet`` (the DeepFindr notebook's network). The
arithmetic follows the .NET forward passes line by line; tests/reference/network_parity_reference.py
writes the fixtures that Ddpm.Core's tests compare against (within 1e-4).

Runs on PyTorch 1.13 and later (attention is written out, not scaled_dot_product_attention).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from .config import SimpleUNetConfig, UNetConfig


class SinusoidalPositionEmbedding(nn.Module):
    """[B] timesteps -> [B, dim]: sin then cos of t * exp(-ln(10000) k / (dim/2 - 1)), k < dim/2."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, time):
        half = self.dim // 2
        scale = math.log(10000) / (half - 1)
        frequencies = torch.exp(torch.arange(half, dtype=torch.float32, device=time.device) * -scale)
        angles = time.to(torch.float32).unsqueeze(1) * frequencies.unsqueeze(0)
        return torch.cat([angles.sin(), angles.cos()], dim=-1)


def group_norm(groups, channels):
    """GroupNorm with weight 1 and bias 0 (Ddpm.Core's Layers.GroupNorm)."""
    norm = nn.GroupNorm(groups, channels)
    with torch.no_grad():
        norm.weight.fill_(1)
        norm.bias.zero_()
    return norm


class ResidualBlock(nn.Module):
    """GroupNorm, SiLU, 3x3 conv; GroupNorm scaled and shifted by the time embedding; SiLU, dropout, 3x3 conv
    (zero at start); added to the input, through a 1x1 conv when the width changes."""

    def __init__(self, in_channels, out_channels, time_dim, groups, dropout):
        super().__init__()
        self.norm1 = group_norm(groups, in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.time_proj = nn.Linear(time_dim, 2 * out_channels)
        self.norm2 = group_norm(groups, out_channels)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.skip = None if in_channels == out_channels else nn.Conv2d(in_channels, out_channels, 1)
        with torch.no_grad():
            self.conv2.weight.zero_()
            self.conv2.bias.zero_()

    def forward(self, x, time):
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.time_proj(F.silu(time)).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)
        h = self.norm2(h) * (scale + 1) + shift
        h = self.conv2(self.dropout(F.silu(h)))
        residual = x if self.skip is None else self.skip(x)
        return residual + h


class SelfAttention(nn.Module):
    """Multi-head self-attention over the H*W positions, GroupNorm first, output projection zero at start."""

    def __init__(self, channels, heads, groups):
        super().__init__()
        self.heads = heads
        self.norm = group_norm(groups, channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)
        with torch.no_grad():
            self.proj.weight.zero_()
            self.proj.bias.zero_()

    def forward(self, x):
        batch, channels, height, width = x.shape
        head_dim = channels // self.heads
        qkv = self.qkv(self.norm(x)).reshape(batch, 3, self.heads, head_dim, height * width).permute(1, 0, 2, 4, 3)
        q, k, v = qkv[0], qkv[1], qkv[2]
        weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(head_dim), dim=-1)
        h = (weights @ v).permute(0, 1, 3, 2).reshape(batch, channels, height, width)
        return x + self.proj(h)


class UNetLevelBlock(nn.Module):
    def __init__(self, in_channels, out_channels, time_dim, config, attention):
        super().__init__()
        self.res = ResidualBlock(in_channels, out_channels, time_dim, config.norm_groups, config.dropout)
        self.attn = SelfAttention(out_channels, config.attention_heads, config.norm_groups) if attention else None

    def forward(self, x, time):
        h = self.res(x, time)
        return h if self.attn is None else self.attn(h)


class Upsample2x(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class UNet(nn.Module):
    """Ddpm.Core's UNet: time MLP, levels of residual blocks (attention where configured) halving the
    resolution, a middle of block, attention, block, and a mirrored way up concatenating every skip."""

    def __init__(self, config=None):
        super().__init__()
        config = config or UNetConfig()
        config.validate()
        self.config = config
        base = config.base_channels
        time_dim = 4 * base
        sinusoid_dim = max(4, base + base % 2)
        self.time_embed = nn.Sequential(
            SinusoidalPositionEmbedding(sinusoid_dim), nn.Linear(sinusoid_dim, time_dim), nn.SiLU(), nn.Linear(time_dim, time_dim))
        self.class_embed = nn.Embedding(config.class_count + 1, time_dim) if config.class_count > 0 else None
        self.conv_in = nn.Conv2d(config.image_channels, base, 3, padding=1)

        levels = len(config.channel_multipliers)
        skips = [base]
        down, downsamples = [], []
        channels = base
        for level in range(levels):
            width = base * config.channel_multipliers[level]
            attention = level in config.attention_levels
            for _ in range(config.blocks_per_level):
                down.append(UNetLevelBlock(channels, width, time_dim, config, attention))
                channels = width
                skips.append(channels)
            if level < levels - 1:
                downsamples.append(nn.Conv2d(channels, channels, 3, stride=2, padding=1))
                skips.append(channels)
        self.down_blocks = nn.ModuleList(down)
        self.downsamples = nn.ModuleList(downsamples)
        self.mid_block1 = ResidualBlock(channels, channels, time_dim, config.norm_groups, config.dropout)
        self.mid_attn = SelfAttention(channels, config.attention_heads, config.norm_groups)
        self.mid_block2 = ResidualBlock(channels, channels, time_dim, config.norm_groups, config.dropout)

        up, upsamples = [], []
        for level in reversed(range(levels)):
            width = base * config.channel_multipliers[level]
            attention = level in config.attention_levels
            for _ in range(config.blocks_per_level + 1):
                up.append(UNetLevelBlock(channels + skips.pop(), width, time_dim, config, attention))
                channels = width
            if level > 0:
                upsamples.append(Upsample2x(channels))
        self.up_blocks = nn.ModuleList(up)
        self.upsamples = nn.ModuleList(upsamples)
        self.norm_out = group_norm(config.norm_groups, channels)
        self.conv_out = nn.Conv2d(channels, config.image_channels, 3, padding=1)
        with torch.no_grad():
            self.conv_out.weight.zero_()
            self.conv_out.bias.zero_()

    def forward(self, x, timestep, class_labels=None):
        """x: [B, C, H, W]; timestep: [B]; class_labels: [B] int64 in [0, class_count] (class_count = no class) or None."""
        time = self.time_embed(timestep)
        if self.class_embed is not None:
            if class_labels is None:
                class_labels = torch.full((x.shape[0],), self.config.class_count, dtype=torch.int64, device=x.device)
            time = time + self.class_embed(class_labels)
        h = self.conv_in(x)
        skips = [h]
        levels = len(self.config.channel_multipliers)
        block = 0
        for level in range(levels):
            for _ in range(self.config.blocks_per_level):
                h = self.down_blocks[block](h, time)
                block += 1
                skips.append(h)
            if level < levels - 1:
                h = self.downsamples[level](h)
                skips.append(h)
        h = self.mid_block2(self.mid_attn(self.mid_block1(h, time)), time)
        block = 0
        for level in reversed(range(levels)):
            for _ in range(self.config.blocks_per_level + 1):
                h = self.up_blocks[block](torch.cat([h, skips.pop()], dim=1), time)
                block += 1
            if level > 0:
                h = self.upsamples[levels - 1 - level](h)
        return self.conv_out(F.silu(self.norm_out(h)))


class SimpleUNetBlock(nn.Module):
    def __init__(self, in_channels, out_channels, time_dim, up):
        super().__init__()
        self.time_mlp = nn.Linear(time_dim, out_channels)
        if up:
            self.conv1 = nn.Conv2d(2 * in_channels, out_channels, 3, padding=1)
            self.transform = nn.ConvTranspose2d(out_channels, out_channels, 4, 2, 1)
        else:
            self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
            self.transform = nn.Conv2d(out_channels, out_channels, 4, 2, 1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.bnorm1 = nn.BatchNorm2d(out_channels)
        self.bnorm2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()

    def forward(self, x, time_embedding):
        h = self.bnorm1(self.relu(self.conv1(x)))
        h = h + self.relu(self.time_mlp(time_embedding)).unsqueeze(-1).unsqueeze(-1)
        h = self.bnorm2(self.relu(self.conv2(h)))
        return self.transform(h)


class SimpleUNet(nn.Module):
    """The DeepFindr notebook's SimpleUnet, as Ddpm.Core's SimpleUNet names it (62,438,883 parameters by default)."""

    def __init__(self, config=None):
        super().__init__()
        config = config or SimpleUNetConfig()
        config.validate()
        self.config = config
        down = list(config.down_channels)
        up = list(reversed(down))
        time_dim = config.time_embedding_dim
        self.time_mlp = nn.Sequential(SinusoidalPositionEmbedding(time_dim), nn.Linear(time_dim, time_dim), nn.ReLU())
        self.conv0 = nn.Conv2d(config.image_channels, down[0], 3, padding=1)
        self.downs = nn.ModuleList([SimpleUNetBlock(down[i], down[i + 1], time_dim, up=False) for i in range(len(down) - 1)])
        self.ups = nn.ModuleList([SimpleUNetBlock(up[i], up[i + 1], time_dim, up=True) for i in range(len(up) - 1)])
        self.output = nn.Conv2d(up[-1], config.image_channels, 1)

    def forward(self, x, timestep, class_labels=None):
        t = self.time_mlp(timestep)
        h = self.conv0(x)
        residuals = []
        for block in self.downs:
            h = block(h, t)
            residuals.append(h)
        for block in self.ups:
            h = block(torch.cat([h, residuals.pop()], dim=1), t)
        return self.output(h)


def create_network(config):
    """The twin network a configuration describes (UNetConfig or SimpleUNetConfig)."""
    return UNet(config) if isinstance(config, UNetConfig) else SimpleUNet(config)
