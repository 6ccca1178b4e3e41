using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Ddpm.Core.Models;

/// <summary>
/// The notebook's "SimpleUnet", reproduced exactly: a sinusoidal time embedding through Linear + ReLU,
/// a 3x3 input projection, down blocks that halve the resolution, up blocks that concatenate the
/// matching skip connection and double it, and a 1x1 output projection; BatchNorm and ReLU throughout.
/// With the default <see cref="SimpleUNetConfiguration"/> it has 62,438,883 parameters and the same
/// state-dict keys, shapes and dtypes as the PyTorch module, so the notebook's weights load into it.
/// </summary>
/// <remarks>
/// Its BatchNorm layers pool statistics over all timesteps, so in eval mode (running statistics) the
/// network samples poorly; <see cref="Sampling.DdpmSamplerOptions.BatchNormMode"/> selects batch
/// statistics, as the notebook effectively does. The improved UNet does not have this problem.
/// </remarks>
public sealed class SimpleUNet : nn.Module<Tensor, Tensor, Tensor>, IInferenceForwardNetwork
{
    [ComponentName(Name = "time_mlp")]
    private readonly Sequential _timeMlp;

    [ComponentName(Name = "conv0")]
    private readonly Conv2d _conv0;

    [ComponentName(Name = "downs")]
    private readonly ModuleList<SimpleUNetBlock> _downs;

    [ComponentName(Name = "ups")]
    private readonly ModuleList<SimpleUNetBlock> _ups;

    [ComponentName(Name = "output")]
    private readonly Conv2d _output;

    private readonly int _sizeMultiple;

    /// <summary>Creates the network with freshly initialised weights on the CPU.</summary>
    /// <param name="configuration">The widths and channels; null gives the notebook's network.</param>
    /// <exception cref="ArgumentException">The configuration is invalid; the message names the value.</exception>
    public SimpleUNet(SimpleUNetConfiguration? configuration = null) : base(nameof(SimpleUNet))
    {
        configuration ??= new SimpleUNetConfiguration();
        configuration.Validate();
        Configuration = configuration;
        _sizeMultiple = configuration.SizeMultiple;

        int[] down = [.. configuration.DownChannels];
        int[] up = [.. down.Reverse()];
        int timeDim = configuration.TimeEmbeddingDim;

        _timeMlp = nn.Sequential(
            ("0", new SinusoidalPositionEmbedding(timeDim)),
            ("1", nn.Linear(timeDim, timeDim)),
            ("2", nn.ReLU()));
        _conv0 = nn.Conv2d(configuration.ImageChannels, down[0], kernel_size: 3, padding: 1);
        _downs = nn.ModuleList(Enumerable.Range(0, down.Length - 1)
            .Select(i => new SimpleUNetBlock(down[i], down[i + 1], timeDim, up: false)).ToArray());
        _ups = nn.ModuleList(Enumerable.Range(0, up.Length - 1)
            .Select(i => new SimpleUNetBlock(up[i], up[i + 1], timeDim, up: true)).ToArray());
        _output = nn.Conv2d(up[^1], configuration.ImageChannels, kernel_size: 1);
        RegisterComponents();
    }

    /// <summary>Gets the configuration the network was built from.</summary>
    public SimpleUNetConfiguration Configuration { get; }

    /// <summary>Predicts the noise ε_θ(x_t, t).</summary>
    /// <param name="x">Noisy images, shape [B, C, H, W], with H and W divisible by <see cref="SimpleUNetConfiguration.SizeMultiple"/>.</param>
    /// <param name="timestep">Timesteps, shape [B] (int64 or floating point).</param>
    /// <returns>The predicted noise, shape [B, C, H, W].</returns>
    /// <exception cref="ArgumentException">The input shape does not fit the network.</exception>
    public override Tensor forward(Tensor x, Tensor timestep)
    {
        NetworkInputs.Check(nameof(SimpleUNet), x, timestep, Configuration.ImageChannels, _sizeMultiple);
        using var scope = NewDisposeScope();
        Tensor t = _timeMlp.call(timestep);
        Tensor h = _conv0.call(x);
        var residuals = new Stack<Tensor>();
        foreach (SimpleUNetBlock block in _downs)
        {
            h = block.call(h, t);
            residuals.Push(h);
        }

        foreach (SimpleUNetBlock block in _ups)
        {
            // Skip connection as additional channels.
            h = block.call(cat([h, residuals.Pop()], dim: 1), t);
        }

        return _output.call(h).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _timeMlp.Dispose();
            _conv0.Dispose();
            _downs.Dispose();
            _ups.Dispose();
            _output.Dispose();
        }

        base.Dispose(disposing);
    }
}
