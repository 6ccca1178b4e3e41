using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Models;

/// <summary>
/// The transformer's sinusoidal position encoding applied to diffusion timesteps (Vaswani et al. 2017,
/// §3.5; Ho et al. 2020, §4): for i &lt; d/2, emb[i] = sin(t · 10000^(-i/(d/2-1))) and emb[d/2 + i] the cosine.
/// Sines come first, as in the notebook.
/// </summary>
internal sealed class SinusoidalPositionEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly int _dim;

    public SinusoidalPositionEmbedding(int dim) : base(nameof(SinusoidalPositionEmbedding))
    {
        _dim = dim;
    }

    /// <summary>The type of the returned embedding; the angles are always computed in float32 (t · frequency needs its precision). BFloat16 in a mixed-precision compute copy.</summary>
    public ScalarType OutputType { get; set; } = ScalarType.Float32;

    public override Tensor forward(Tensor time)
    {
        using var scope = NewDisposeScope();
        int half = _dim / 2;
        double scale = Math.Log(10000) / (half - 1);
        Tensor frequencies = exp(TensorScalars.Arange(half, ScalarType.Float32, time.device).Times(-scale));
        Tensor angles = time.to(ScalarType.Float32).unsqueeze(1) * frequencies.unsqueeze(0);
        Tensor embedding = cat([angles.sin(), angles.cos()], dim: -1);
        return (OutputType == ScalarType.Float32 ? embedding : embedding.to(OutputType)).MoveToOuterDisposeScope();
    }
}
