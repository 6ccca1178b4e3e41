using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Ddpm.Core.Models;

/// <summary>
/// Multi-head self-attention over the H·W positions of a feature map (Vaswani et al. 2017), with a
/// GroupNorm in front and a zero-initialised output projection added to the input.
/// </summary>
internal sealed class SelfAttention : nn.Module<Tensor, Tensor>
{
    private readonly int _heads;

    [ComponentName(Name = "norm")]
    private readonly GroupNorm _norm;

    [ComponentName(Name = "qkv")]
    private readonly Conv2d _qkv;

    [ComponentName(Name = "proj")]
    private readonly Conv2d _projection;

    public SelfAttention(int channels, int heads, int groups) : base(nameof(SelfAttention))
    {
        _heads = heads;
        _norm = Layers.GroupNorm(groups, channels);
        _qkv = nn.Conv2d(channels, 3 * channels, kernel_size: 1);
        _projection = nn.Conv2d(channels, channels, kernel_size: 1);
        using (no_grad())
        {
            _projection.weight!.zero_();
            _projection.bias!.zero_();
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], channels = x.shape[1], height = x.shape[2], width = x.shape[3];
        long headDim = channels / _heads;

        // [B, 3C, H, W] → three [B, heads, H·W, C/heads].
        Tensor qkv = _qkv.call(_norm.call(x)).reshape(batch, 3, _heads, headDim, height * width).permute(1, 0, 2, 4, 3);
        Tensor attended = nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2]);
        Tensor h = attended.permute(0, 1, 3, 2).reshape(batch, channels, height, width);
        return x.Plus(_projection.call(h)).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _norm.Dispose();
            _qkv.Dispose();
            _projection.Dispose();
        }

        base.Dispose(disposing);
    }
}
