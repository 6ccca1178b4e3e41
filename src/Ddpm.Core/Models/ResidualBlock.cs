using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Ddpm.Core.Models;

/// <summary>
/// A residual block: GroupNorm → SiLU → 3x3 conv, then GroupNorm modulated by the time embedding
/// (h · (1 + scale) + shift, the "scale-shift norm" of Nichol &amp; Dhariwal 2021) → SiLU → dropout →
/// 3x3 conv initialised to zero, added to the input (through a 1x1 conv when the width changes).
/// </summary>
internal sealed class ResidualBlock : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "norm1")]
    private readonly GroupNorm _norm1;

    [ComponentName(Name = "conv1")]
    private readonly Conv2d _conv1;

    [ComponentName(Name = "time_proj")]
    private readonly Linear _timeProjection;

    [ComponentName(Name = "norm2")]
    private readonly GroupNorm _norm2;

    [ComponentName(Name = "dropout")]
    private readonly Dropout _dropout;

    [ComponentName(Name = "conv2")]
    private readonly Conv2d _conv2;

    [ComponentName(Name = "skip")]
    private readonly Conv2d? _skip;

    public ResidualBlock(int inChannels, int outChannels, int timeDim, int groups, double dropout) : base(nameof(ResidualBlock))
    {
        _norm1 = Layers.GroupNorm(groups, inChannels);
        _conv1 = nn.Conv2d(inChannels, outChannels, kernel_size: 3, padding: 1);
        _timeProjection = nn.Linear(timeDim, 2 * outChannels);
        _norm2 = Layers.GroupNorm(groups, outChannels);
        _dropout = nn.Dropout(dropout);
        _conv2 = nn.Conv2d(outChannels, outChannels, kernel_size: 3, padding: 1);
        _skip = inChannels == outChannels ? null : nn.Conv2d(inChannels, outChannels, kernel_size: 1);
        using (no_grad())
        {
            // Each block starts as the identity, which keeps deep networks trainable.
            _conv2.weight!.zero_();
            _conv2.bias!.zero_();
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor time)
    {
        using var scope = NewDisposeScope();
        Tensor h = _conv1.call(nn.functional.silu(_norm1.call(x)));
        Tensor[] scaleShift = _timeProjection.call(nn.functional.silu(time)).unsqueeze(-1).unsqueeze(-1).chunk(2, dim: 1);
        h = (_norm2.call(h) * scaleShift[0].Plus(1)).Plus(scaleShift[1]);
        h = _conv2.call(InferenceForward.Dropout(_dropout, nn.functional.silu(h)));
        Tensor residual = _skip is null ? x : _skip.call(x);
        return residual.Plus(h).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _norm1.Dispose();
            _conv1.Dispose();
            _timeProjection.Dispose();
            _norm2.Dispose();
            _dropout.Dispose();
            _conv2.Dispose();
            _skip?.Dispose();
        }

        base.Dispose(disposing);
    }
}
