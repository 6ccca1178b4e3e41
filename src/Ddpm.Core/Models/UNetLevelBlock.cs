using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Ddpm.Core.Models;

/// <summary>One step of a UNet level: a residual block, followed by self-attention at attended levels.</summary>
internal sealed class UNetLevelBlock : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "res")]
    private readonly ResidualBlock _residual;

    [ComponentName(Name = "attn")]
    private readonly SelfAttention? _attention;

    public UNetLevelBlock(int inChannels, int outChannels, int timeDim, UNetConfiguration configuration, bool attention)
        : base(nameof(UNetLevelBlock))
    {
        _residual = new ResidualBlock(inChannels, outChannels, timeDim, configuration.NormGroups, configuration.Dropout);
        _attention = attention ? new SelfAttention(outChannels, configuration.AttentionHeads, configuration.NormGroups) : null;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor time)
    {
        using var scope = NewDisposeScope();
        Tensor h = _residual.call(x, time);
        return (_attention is null ? h : _attention.call(h)).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _residual.Dispose();
            _attention?.Dispose();
        }

        base.Dispose(disposing);
    }
}
