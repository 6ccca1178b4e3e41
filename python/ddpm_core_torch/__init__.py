"""PyTorch twins of Ddpm.Core's networks, the model description ``ddpm export`` writes, and its weight files.

    from ddpm_core_torch import load_model
    network, spec = load_model("model.safetensors")     # reads model.config.json beside it; strict names and shapes
"""

from .config import ModelSpec, SimpleUNetConfig, UNetConfig, config_path_for
from .networks import SimpleUNet, UNet, create_network
from .safetensors_io import load_file, save_file

__all__ = [
    "ModelSpec", "SimpleUNetConfig", "UNetConfig", "config_path_for", "SimpleUNet", "UNet", "create_network",
    "load_file", "save_file", "load_model", "save_model",
]
__version__ = "0.1.0"


def load_model(weights_path, config_path=None):
    """Builds the twin a description names and loads the weights into it with strict matching.

    Returns (network, spec). Raises ValueError naming every missing, unexpected or mis-shaped entry.
    """
    spec = ModelSpec.load(config_path or config_path_for(weights_path))
    network = create_network(spec.network)
    tensors, _ = load_file(weights_path)
    expected = network.state_dict()
    missing = [k for k in expected if k not in tensors]
    unexpected = [k for k in tensors if k not in expected]
    shapes = [f"{k} {list(tensors[k].shape)} (the network has {list(expected[k].shape)})" for k in expected
              if k in tensors and tensors[k].shape != expected[k].shape]
    if missing or unexpected or shapes:
        problems = []
        if missing:
            problems.append("missing: " + ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else ""))
        if unexpected:
            problems.append("unexpected: " + ", ".join(unexpected[:8]) + (" ..." if len(unexpected) > 8 else ""))
        if shapes:
            problems.append("mis-shaped: " + ", ".join(shapes[:8]))
        raise ValueError(f"{weights_path} does not fit {spec.network}: " + "; ".join(problems))
    network.load_state_dict({k: v.to(expected[k].dtype) for k, v in tensors.items()}, strict=True)
    return network, spec


def save_model(network, spec, weights_path, metadata=None):
    """Writes the network's state_dict as safetensors and the description beside it (``<stem>.config.json``)."""
    save_file({k: v for k, v in network.state_dict().items()}, weights_path, metadata)
    spec.save(config_path_for(weights_path))
