"""Network configurations and the model description that ``ddpm export`` writes beside the weights.

The JSON keys are Ddpm.Core's (camelCase, as its checkpoints store them), so one file describes the
network on both sides: ``ddpm export --out model.safetensors`` writes ``model.config.json``, this module
reads it, and ``ddpm import --config model.config.json`` reads what ``train_ddp.py`` writes back.
"""

import json
from dataclasses import dataclass, field
from typing import List

FORMAT = "ddpm-core-model/1"


@dataclass
class UNetConfig:
    """Ddpm.Core's UNetConfiguration (its defaults; UNetPresets are the named sizes)."""

    image_channels: int = 3
    base_channels: int = 64
    channel_multipliers: List[int] = field(default_factory=lambda: [1, 2, 2, 2])
    blocks_per_level: int = 2
    attention_levels: List[int] = field(default_factory=lambda: [1])
    attention_heads: int = 4
    dropout: float = 0.1
    norm_groups: int = 32
    class_count: int = 0

    architecture = "unet"
    _KEYS = {
        "imageChannels": "image_channels", "baseChannels": "base_channels", "channelMultipliers": "channel_multipliers",
        "blocksPerLevel": "blocks_per_level", "attentionLevels": "attention_levels", "attentionHeads": "attention_heads",
        "dropout": "dropout", "normGroups": "norm_groups", "classCount": "class_count",
    }

    @property
    def size_multiple(self):
        return 1 << max(0, len(self.channel_multipliers) - 1)

    def validate(self):
        def fail(message):
            raise ValueError(f"UNetConfiguration.{message}")

        if not 1 <= self.image_channels <= 64:
            fail(f"ImageChannels is {self.image_channels}; it must lie in [1, 64].")
        if not 1 <= self.base_channels <= 4096:
            fail(f"BaseChannels is {self.base_channels}; it must lie in [1, 4096].")
        if not 1 <= len(self.channel_multipliers) <= 8 or any(not 1 <= m <= 64 for m in self.channel_multipliers):
            fail("ChannelMultipliers must hold 1 to 8 multipliers, each in [1, 64], for example [1, 2, 2, 2].")
        if not 1 <= self.blocks_per_level <= 16:
            fail(f"BlocksPerLevel is {self.blocks_per_level}; it must lie in [1, 16].")
        if not 1 <= self.norm_groups <= 1024:
            fail(f"NormGroups is {self.norm_groups}; it must lie in [1, 1024].")
        widths = [self.base_channels * m for m in self.channel_multipliers]
        if any(w % self.norm_groups for w in [self.base_channels] + widths):
            fail(f"NormGroups is {self.norm_groups} but a level's width is not a multiple of it; the groups must divide every width.")
        if any(not 0 <= level < len(widths) for level in self.attention_levels):
            fail(f"AttentionLevels must hold level indices in [0, {len(widths) - 1}].")
        if not 1 <= self.attention_heads <= 64:
            fail(f"AttentionHeads is {self.attention_heads}; it must lie in [1, 64].")
        attended = [widths[level] for level in self.attention_levels] + [widths[-1]]
        if any(w % self.attention_heads for w in attended):
            fail(f"AttentionHeads is {self.attention_heads} but an attended level's width is not a multiple of it.")
        if not 0 <= self.class_count <= 100_000:
            fail(f"ClassCount is {self.class_count}; it must lie in [0, 100000] (0 for an unconditional network).")
        if not 0 <= self.dropout <= 0.9:
            fail(f"Dropout is {self.dropout}; it must lie in [0, 0.9].")

    def to_json(self):
        return {key: getattr(self, name) for key, name in self._KEYS.items()}

    @classmethod
    def from_json(cls, values):
        return cls(**{name: values[key] for key, name in cls._KEYS.items() if key in values})


@dataclass
class SimpleUNetConfig:
    """Ddpm.Core's SimpleUNetConfiguration: the DeepFindr notebook's SimpleUnet sizes."""

    image_channels: int = 3
    down_channels: List[int] = field(default_factory=lambda: [64, 128, 256, 512, 1024])
    time_embedding_dim: int = 32

    architecture = "simple-unet"
    _KEYS = {"imageChannels": "image_channels", "downChannels": "down_channels", "timeEmbeddingDim": "time_embedding_dim"}

    @property
    def size_multiple(self):
        return 1 << max(0, len(self.down_channels) - 1)

    def validate(self):
        if not 1 <= self.image_channels <= 64:
            raise ValueError(f"SimpleUNetConfiguration.ImageChannels is {self.image_channels}; it must lie in [1, 64].")
        if not 2 <= len(self.down_channels) <= 12 or any(c < 1 for c in self.down_channels):
            raise ValueError("SimpleUNetConfiguration.DownChannels must hold 2 to 12 widths, each at least 1.")
        if not 4 <= self.time_embedding_dim <= 4096 or self.time_embedding_dim % 2:
            raise ValueError(f"SimpleUNetConfiguration.TimeEmbeddingDim is {self.time_embedding_dim}; it must be an even number in [4, 4096].")

    def to_json(self):
        return {key: getattr(self, name) for key, name in self._KEYS.items()}

    @classmethod
    def from_json(cls, values):
        return cls(**{name: values[key] for key, name in cls._KEYS.items() if key in values})


ARCHITECTURES = {"unet": UNetConfig, "simple-unet": SimpleUNetConfig}


@dataclass
class ModelSpec:
    """Everything but the weights: the network, the image shape and the noise schedule (its exact betas).

    ``prediction`` is what the network predicts (Epsilon, Sample or Velocity); ``class_names`` are the labels of
    a class-conditional network, in label order.
    """

    network: object
    image_shape: List[int]
    betas: List[float]
    schedule: str = "linear"
    prediction: str = "Epsilon"
    class_names: List[str] = field(default_factory=list)
    trained_steps: int = 0
    weights: str = "ema"

    @property
    def timesteps(self):
        return len(self.betas)

    def to_json(self):
        return {
            "format": FORMAT,
            "architecture": self.network.architecture,
            "configuration": self.network.to_json(),
            "imageShape": list(self.image_shape),
            "schedule": self.schedule,
            "timesteps": self.timesteps,
            "betas": [float(b) for b in self.betas],
            "prediction": self.prediction,
            "classNames": list(self.class_names),
            "trainedSteps": int(self.trained_steps),
            "weights": self.weights,
        }

    @classmethod
    def from_json(cls, values, source="the configuration"):
        if values.get("format") != FORMAT:
            raise ValueError(f"{source} is not a Ddpm.Core model description: its format is {values.get('format')!r}, not {FORMAT!r}.")
        architecture = values.get("architecture")
        if architecture not in ARCHITECTURES:
            raise ValueError(f"{source} names the architecture {architecture!r}; the twins are {', '.join(ARCHITECTURES)}.")
        network = ARCHITECTURES[architecture].from_json(values.get("configuration") or {})
        network.validate()
        betas = values.get("betas") or []
        if not betas or any(not 0 < b < 1 for b in betas):
            raise ValueError(f"{source} has no betas, or a beta outside (0, 1).")
        shape = values.get("imageShape") or []
        if len(shape) != 3 or shape[0] != network.image_channels or shape[1] % network.size_multiple or shape[2] % network.size_multiple:
            raise ValueError(f"{source}'s imageShape {shape} does not fit the network ({network.image_channels} channels, sides a multiple of {network.size_multiple}).")
        return cls(network=network, image_shape=shape, betas=betas, schedule=values.get("schedule", "custom"),
                   prediction=values.get("prediction", "Epsilon"), class_names=values.get("classNames") or [],
                   trained_steps=values.get("trainedSteps", 0), weights=values.get("weights", "ema"))

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as handle:
            return cls.from_json(json.load(handle), source=path)

    def save(self, path):
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.to_json(), handle, indent=2)
            handle.write("\n")


def config_path_for(weights_path):
    """The description beside a weights file: model.safetensors -> model.config.json."""
    stem = weights_path
    for suffix in (".safetensors", ".pt", ".pth", ".bin"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return stem + ".config.json"


