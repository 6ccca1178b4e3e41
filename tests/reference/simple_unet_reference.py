#!/usr/bin/env python3
"""PyTorch reference for Ddpm.Core.

Re-implements the model and noise-schedule terms of the DeepFindr notebook
"A Diffusion Model from Scratch in Pytorch" (a simple DDPM with a small
U-Net), with the hard-coded sizes turned into constructor arguments, and
writes fixtures under tests/reference/fixtures/ that the C# tests read
without needing Python.

Run:  /usr/bin/python3 tests/reference/simple_unet_reference.py
"""

import copy
import json
import math
import os
import struct

import torch
import torch.nn.functional as F
from torch import nn

GENERATOR = "tests/reference/simple_unet_reference.py"
FIXTURE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
FULL_PARAMETER_COUNT = 62_438_883


# --------------------------------------------------------------------------
# Noise schedule (float32, as in the notebook)
# --------------------------------------------------------------------------

def linear_beta_schedule(timesteps, start=0.0001, end=0.02):
    return torch.linspace(start, end, timesteps)


def schedule_terms(timesteps=300):
    betas = linear_beta_schedule(timesteps=timesteps)
    alphas = 1.0 - betas
    alphas_cumprod = torch.cumprod(alphas, axis=0)
    alphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)
    sqrt_recip_alphas = torch.sqrt(1.0 / alphas)
    sqrt_alphas_cumprod = torch.sqrt(alphas_cumprod)
    sqrt_one_minus_alphas_cumprod = torch.sqrt(1.0 - alphas_cumprod)
    posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
    return {
        "betas": betas,
        "alphas": alphas,
        "alphas_cumprod": alphas_cumprod,
        "alphas_cumprod_prev": alphas_cumprod_prev,
        "sqrt_recip_alphas": sqrt_recip_alphas,
        "sqrt_alphas_cumprod": sqrt_alphas_cumprod,
        "sqrt_one_minus_alphas_cumprod": sqrt_one_minus_alphas_cumprod,
        "posterior_variance": posterior_variance,
    }


@torch.no_grad()
def sample_trajectory(model, terms, x, noise, every=50):
    """The notebook's sample_timestep loop from x_T = x down to x_0, each step's z taken from
    noise[t] instead of torch.randn_like, clamped to [-1, 1] after every step as the notebook does.
    Returns {"x.<t>": x_t-1 after the step at t} for t = T-1, T-1-every, ..., and t = 0."""
    timesteps = terms["betas"].shape[0]
    kept = {}
    for i in reversed(range(timesteps)):
        t = torch.full((x.shape[0],), i, dtype=torch.long)
        # eq. 11: the mean of p(x_{t-1} | x_t), then the posterior-variance noise except at t = 0
        model_mean = terms["sqrt_recip_alphas"][i] * (
            x - terms["betas"][i] * model(x, t) / terms["sqrt_one_minus_alphas_cumprod"][i])
        x = model_mean if i == 0 else model_mean + torch.sqrt(terms["posterior_variance"][i]) * noise[i]
        x = torch.clamp(x, -1.0, 1.0)
        if (timesteps - 1 - i) % every == 0 or i == 0:
            kept["x.%d" % i] = x.clone()
    return kept


# --------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------

class Block(nn.Module):
    def __init__(self, in_ch, out_ch, time_emb_dim, up=False):
        super().__init__()
        self.time_mlp = nn.Linear(time_emb_dim, out_ch)
        if up:
            self.conv1 = nn.Conv2d(2 * in_ch, out_ch, 3, padding=1)
            self.transform = nn.ConvTranspose2d(out_ch, out_ch, 4, 2, 1)
        else:
            self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
            self.transform = nn.Conv2d(out_ch, out_ch, 4, 2, 1)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.bnorm1 = nn.BatchNorm2d(out_ch)
        self.bnorm2 = nn.BatchNorm2d(out_ch)
        self.relu = nn.ReLU()

    def forward(self, x, t):
        h = self.bnorm1(self.relu(self.conv1(x)))
        time_emb = self.relu(self.time_mlp(t))
        # broadcast (B, C) -> (B, C, 1, 1)
        time_emb = time_emb[(...,) + (None,) * 2]
        h = h + time_emb
        h = self.bnorm2(self.relu(self.conv2(h)))
        return self.transform(h)


class SinusoidalPositionEmbeddings(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, time):
        half_dim = self.dim // 2
        scale = math.log(10000) / (half_dim - 1)
        freqs = torch.exp(torch.arange(half_dim, device=time.device) * -scale)
        args = time[:, None] * freqs[None, :]
        return torch.cat((args.sin(), args.cos()), dim=-1)


class SimpleUnet(nn.Module):
    def __init__(self, image_channels=3, down_channels=(64, 128, 256, 512, 1024), time_emb_dim=32):
        super().__init__()
        down_channels = tuple(down_channels)
        up_channels = tuple(reversed(down_channels))
        out_dim = image_channels

        self.time_mlp = nn.Sequential(
            SinusoidalPositionEmbeddings(time_emb_dim),
            nn.Linear(time_emb_dim, time_emb_dim),
            nn.ReLU(),
        )
        self.conv0 = nn.Conv2d(image_channels, down_channels[0], 3, padding=1)
        self.downs = nn.ModuleList(
            [Block(down_channels[i], down_channels[i + 1], time_emb_dim) for i in range(len(down_channels) - 1)]
        )
        self.ups = nn.ModuleList(
            [Block(up_channels[i], up_channels[i + 1], time_emb_dim, up=True) for i in range(len(up_channels) - 1)]
        )
        self.output = nn.Conv2d(up_channels[-1], out_dim, 1)

    def forward(self, x, timestep):
        t = self.time_mlp(timestep)
        x = self.conv0(x)
        residual_inputs = []
        for down in self.downs:
            x = down(x, t)
            residual_inputs.append(x)
        for up in self.ups:
            residual_x = residual_inputs.pop()
            x = torch.cat((x, residual_x), dim=1)
            x = up(x, t)
        return self.output(x)


# --------------------------------------------------------------------------
# Minimal safetensors writer / reader (the safetensors package is not used)
# --------------------------------------------------------------------------

_DTYPE_TO_ST = {torch.float32: "F32", torch.int64: "I64"}
_ST_TO_DTYPE = {v: k for k, v in _DTYPE_TO_ST.items()}
_ELEMENT_SIZE = {"F32": 4, "I64": 8}
_STRUCT_CODE = {"F32": "f", "I64": "q"}


def _tensor_bytes(tensor):
    st = _DTYPE_TO_ST[tensor.dtype]
    flat = tensor.detach().cpu().contiguous().reshape(-1).tolist()
    return struct.pack("<%d%s" % (len(flat), _STRUCT_CODE[st]), *flat)


def write_safetensors(path, tensors):
    """tensors: list of (name, tensor) in the order they should be stored."""
    header = {}
    blobs = []
    offset = 0
    for name, tensor in tensors:
        if tensor.dtype not in _DTYPE_TO_ST:
            raise TypeError("unsupported dtype %s for %s" % (tensor.dtype, name))
        if name in header:
            raise ValueError("duplicate tensor name %s" % name)
        blob = _tensor_bytes(tensor)
        header[name] = {
            "dtype": _DTYPE_TO_ST[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    header["__metadata__"] = {"format": "pt", "generator": GENERATOR, "torch": torch.__version__}
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    pad = (-(8 + len(header_bytes))) % 8
    header_bytes += b" " * pad
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    """Returns (ordered dict name -> tensor, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack_from("<Q", raw, 0)
    if (8 + n) % 8 != 0:
        raise ValueError("header not 8-byte aligned")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    result = {}
    expected_begin = 0
    for name, info in header.items():
        st = info["dtype"]
        begin, end = info["data_offsets"]
        if begin != expected_begin:
            raise ValueError("non-contiguous data for %s" % name)
        count = math.prod(info["shape"]) if info["shape"] else 1
        if end - begin != count * _ELEMENT_SIZE[st]:
            raise ValueError("size mismatch for %s" % name)
        values = struct.unpack_from("<%d%s" % (count, _STRUCT_CODE[st]), data, begin)
        result[name] = torch.tensor(values, dtype=_ST_TO_DTYPE[st]).reshape(info["shape"])
        expected_begin = end
    if expected_begin != len(data):
        raise ValueError("trailing bytes in data section")
    return result, metadata


def check_roundtrip(path, tensors):
    loaded, metadata = read_safetensors(path)
    if list(loaded.keys()) != [name for name, _ in tensors]:
        raise AssertionError("%s: tensor names/order differ after re-read" % path)
    for name, tensor in tensors:
        got = loaded[name]
        if got.dtype != tensor.dtype or got.shape != tensor.shape or not torch.equal(got, tensor.detach().cpu()):
            raise AssertionError("%s: tensor %s differs after re-read" % (path, name))
    if metadata.get("generator") != GENERATOR or metadata.get("torch") != torch.__version__:
        raise AssertionError("%s: metadata differs after re-read" % path)


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------

_DTYPE_NAME = {torch.float32: "float32", torch.int64: "int64"}


def write_state_dict_json(path, model):
    parameter_count = sum(p.numel() for p in model.parameters())
    entries = [
        {"name": name, "shape": list(t.shape), "dtype": _DTYPE_NAME[t.dtype]}
        for name, t in model.state_dict().items()
    ]
    with open(path, "w", encoding="utf-8") as f:
        # one entry per line keeps the file small and diff-friendly
        f.write('{"parameter_count": %d, "entries": [\n' % parameter_count)
        f.write(",\n".join("  " + json.dumps(e) for e in entries))
        f.write("\n]}\n")
    with open(path, "r", encoding="utf-8") as f:
        if json.load(f) != {"parameter_count": parameter_count, "entries": entries}:
            raise AssertionError("%s: JSON differs after re-read" % path)
    return parameter_count, len(entries)


def randomise_batchnorms(model):
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                c = module.num_features
                module.running_mean.copy_(torch.randn(c) * 0.1)
                module.running_var.copy_(0.5 + torch.rand(c))
                module.weight.copy_(1.0 + 0.1 * torch.randn(c))
                module.bias.copy_(0.1 * torch.randn(c))
                module.num_batches_tracked.fill_(7)


def main():
    torch.set_num_threads(2)
    os.makedirs(FIXTURE_DIR, exist_ok=True)
    summary = {}

    # 1. state-dict layouts of the full-size networks
    torch.manual_seed(0)
    full = SimpleUnet()
    count, keys = write_state_dict_json(os.path.join(FIXTURE_DIR, "simple_unet_state_dict.json"), full)
    assert count == FULL_PARAMETER_COUNT, count
    summary["full_parameter_count"] = count
    summary["full_state_dict_keys"] = keys
    del full

    full_1ch = SimpleUnet(image_channels=1)
    count_1ch, keys_1ch = write_state_dict_json(
        os.path.join(FIXTURE_DIR, "simple_unet_state_dict_1ch.json"), full_1ch)
    summary["1ch_parameter_count"] = count_1ch
    summary["1ch_state_dict_keys"] = keys_1ch
    del full_1ch

    # 2. small network with weights, inputs and outputs
    torch.manual_seed(1234)
    model = SimpleUnet(image_channels=3, down_channels=(8, 16, 32, 64, 128), time_emb_dim=32)
    randomise_batchnorms(model)
    x = torch.randn(2, 3, 32, 32)
    t = torch.tensor([5, 250], dtype=torch.int64)

    state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    model.eval()
    with torch.no_grad():
        out_eval = model(x, t).clone()

    train_model = copy.deepcopy(model)
    train_model.load_state_dict(state)
    train_model.train()
    with torch.no_grad():
        out_train = train_model(x, t).clone()

    # the saved state must be the one the outputs were computed from
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k]), k

    small_tensors = [("model." + k, v) for k, v in state.items()]
    small_tensors += [("input.x", x), ("input.t", t), ("output.eval", out_eval), ("output.train", out_train)]
    small_path = os.path.join(FIXTURE_DIR, "simple_unet_small.safetensors")
    write_safetensors(small_path, small_tensors)
    check_roundtrip(small_path, small_tensors)
    # the same weights as torch.save writes them (an OrderedDict with _metadata), for Ddpm.Core's .pt reader
    pt_path = os.path.join(FIXTURE_DIR, "simple_unet_small.pt")
    torch.save(model.state_dict(), pt_path)
    reloaded = torch.load(pt_path)
    assert list(reloaded.keys()) == list(state.keys())
    for k, v in reloaded.items():
        assert torch.equal(v, state[k]), k
    summary["small_parameter_count"] = sum(p.numel() for p in model.parameters())
    summary["small_state_dict_keys"] = len(state)
    summary["output.eval[:3]"] = out_eval.reshape(-1)[:3].tolist()
    summary["output.train[:3]"] = out_train.reshape(-1)[:3].tolist()

    # 3. schedule terms for T=300
    terms = schedule_terms(300)
    schedule_tensors = list(terms.items())
    schedule_path = os.path.join(FIXTURE_DIR, "schedule_t300.safetensors")
    write_safetensors(schedule_path, schedule_tensors)
    check_roundtrip(schedule_path, schedule_tensors)

    # 4. one full DDPM sampling trajectory of the small network (eval mode: running BatchNorm
    #    statistics), T = 300, 2 images of 3x16x16, driven by recorded noise
    torch.manual_seed(4321)
    x_start = torch.randn(2, 3, 16, 16)
    noise = torch.randn(300, 2, 3, 16, 16)
    noise[0] = 0.0  # the step at t = 0 adds no noise
    model.eval()
    trajectory = sample_trajectory(model, terms, x_start, noise)
    trajectory_tensors = [("x_T", x_start), ("noise", noise)] + list(trajectory.items())
    trajectory_path = os.path.join(FIXTURE_DIR, "sampling_trajectory_t300.safetensors")
    write_safetensors(trajectory_path, trajectory_tensors)
    check_roundtrip(trajectory_path, trajectory_tensors)
    summary["trajectory steps kept"] = sorted(trajectory.keys())

    for name in sorted(os.listdir(FIXTURE_DIR)):
        summary["size:" + name] = os.path.getsize(os.path.join(FIXTURE_DIR, name))
    for k, v in summary.items():
        print("%s: %s" % (k, v))
    print("all checks passed")


if __name__ == "__main__":
    main()
