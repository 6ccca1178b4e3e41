using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Ddpm.Core.Models;

/// <summary>Doubles the resolution: nearest-neighbour upsampling followed by a 3x3 conv (no checkerboard artefacts).</summary>
internal sealed class Upsample2x : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "conv")]
    private readonly Conv2d _conv;

    public Upsample2x(int channels) : base(nameof(Upsample2x))
    {
        _conv = nn.Conv2d(channels, channels, kernel_size: 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor doubled = nn.functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        return _conv.call(doubled).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _conv.Dispose();
        }

        base.Dispose(disposing);
    }
}
