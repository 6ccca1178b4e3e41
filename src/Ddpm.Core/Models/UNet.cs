using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Ddpm.Core.Models;

/// <summary>
/// The library's improved denoising network (Ho et al. 2020, appendix B; Nichol &amp; Dhariwal 2021):
/// a sinusoidal time embedding through an MLP; levels of residual blocks (GroupNorm, SiLU,
/// scale-shift time conditioning, dropout) with self-attention where configured, halving the
/// resolution between levels; a middle of block, attention, block; and a mirrored way up that
/// concatenates every skip connection. Output layers start at zero, so an untrained network predicts 0.
/// Unlike <see cref="SimpleUNet"/>, it has no BatchNorm: it samples the same in eval mode as it trains.
/// </summary>
public sealed class UNet : nn.Module<Tensor, Tensor, Tensor>, IClassConditionalNetwork, IInferenceForwardNetwork
{
    [ComponentName(Name = "time_embed")]
    private readonly Sequential _timeEmbedding;

    [ComponentName(Name = "class_embed")]
    private readonly Embedding? _classEmbedding;

    [ComponentName(Name = "conv_in")]
    private readonly Conv2d _convIn;

    [ComponentName(Name = "down_blocks")]
    private readonly ModuleList<UNetLevelBlock> _downBlocks;

    [ComponentName(Name = "downsamples")]
    private readonly ModuleList<Conv2d> _downsamples;

    [ComponentName(Name = "mid_block1")]
    private readonly ResidualBlock _middle1;

    [ComponentName(Name = "mid_attn")]
    private readonly SelfAttention _middleAttention;

    [ComponentName(Name = "mid_block2")]
    private readonly ResidualBlock _middle2;

    [ComponentName(Name = "up_blocks")]
    private readonly ModuleList<UNetLevelBlock> _upBlocks;

    [ComponentName(Name = "upsamples")]
    private readonly ModuleList<Upsample2x> _upsamples;

    [ComponentName(Name = "norm_out")]
    private readonly GroupNorm _normOut;

    [ComponentName(Name = "conv_out")]
    private readonly Conv2d _convOut;

    private readonly int _levels;
    private readonly int _blocksPerLevel;

    /// <summary>Creates the network with freshly initialised weights on the CPU.</summary>
    /// <param name="configuration">The sizes; null uses the defaults of <see cref="UNetConfiguration"/>.</param>
    /// <exception cref="ArgumentException">The configuration is invalid; the message names the value.</exception>
    public UNet(UNetConfiguration? configuration = null) : base(nameof(UNet))
    {
        configuration ??= new UNetConfiguration();
        configuration.Validate();
        Configuration = configuration;
        _levels = configuration.ChannelMultipliers.Count;
        _blocksPerLevel = configuration.BlocksPerLevel;
        int baseChannels = configuration.BaseChannels;
        int timeDim = 4 * baseChannels;
        int sinusoidDim = Math.Max(4, baseChannels + (baseChannels % 2));
        _timeEmbedding = nn.Sequential(
            ("0", new SinusoidalPositionEmbedding(sinusoidDim)),
            ("1", nn.Linear(sinusoidDim, timeDim)),
            ("2", nn.SiLU()),
            ("3", nn.Linear(timeDim, timeDim)));
        _classEmbedding = configuration.ClassCount > 0 ? nn.Embedding(configuration.ClassCount + 1, timeDim) : null;
        _convIn = nn.Conv2d(configuration.ImageChannels, baseChannels, kernel_size: 3, padding: 1);

        var skipChannels = new Stack<int>();
        skipChannels.Push(baseChannels);
        var down = new List<UNetLevelBlock>();
        var downsamples = new List<Conv2d>();
        int channels = baseChannels;
        for (int level = 0; level < _levels; level++)
        {
            int width = baseChannels * configuration.ChannelMultipliers[level];
            bool attention = configuration.AttentionLevels.Contains(level);
            for (int b = 0; b < _blocksPerLevel; b++)
            {
                down.Add(new UNetLevelBlock(channels, width, timeDim, configuration, attention));
                channels = width;
                skipChannels.Push(channels);
            }

            if (level < _levels - 1)
            {
                downsamples.Add(nn.Conv2d(channels, channels, kernel_size: 3, stride: 2, padding: 1));
                skipChannels.Push(channels);
            }
        }

        _downBlocks = nn.ModuleList(down.ToArray());
        _downsamples = nn.ModuleList(downsamples.ToArray());
        _middle1 = new ResidualBlock(channels, channels, timeDim, configuration.NormGroups, configuration.Dropout);
        _middleAttention = new SelfAttention(channels, configuration.AttentionHeads, configuration.NormGroups);
        _middle2 = new ResidualBlock(channels, channels, timeDim, configuration.NormGroups, configuration.Dropout);

        var up = new List<UNetLevelBlock>();
        var upsamples = new List<Upsample2x>();
        for (int level = _levels - 1; level >= 0; level--)
        {
            int width = baseChannels * configuration.ChannelMultipliers[level];
            bool attention = configuration.AttentionLevels.Contains(level);
            for (int b = 0; b <= _blocksPerLevel; b++)
            {
                up.Add(new UNetLevelBlock(channels + skipChannels.Pop(), width, timeDim, configuration, attention));
                channels = width;
            }

            if (level > 0)
            {
                upsamples.Add(new Upsample2x(channels));
            }
        }

        _upBlocks = nn.ModuleList(up.ToArray());
        _upsamples = nn.ModuleList(upsamples.ToArray());
        _normOut = Layers.GroupNorm(configuration.NormGroups, channels);
        _convOut = nn.Conv2d(channels, configuration.ImageChannels, kernel_size: 3, padding: 1);
        using (no_grad())
        {
            _convOut.weight!.zero_();
            _convOut.bias!.zero_();
        }

        RegisterComponents();
    }

    /// <summary>Gets the configuration the network was built from.</summary>
    public UNetConfiguration Configuration { get; }

    /// <inheritdoc />
    public int ClassCount => Configuration.ClassCount;

    /// <summary>Predicts ε, x_0 or v (as trained) from x_t and t.</summary>
    /// <param name="x">Noisy images, shape [B, C, H, W], H and W divisible by <see cref="UNetConfiguration.SizeMultiple"/>.</param>
    /// <param name="timestep">Timesteps, shape [B].</param>
    /// <returns>A tensor of shape [B, C, H, W].</returns>
    /// <exception cref="ArgumentException">The input shape does not fit the network.</exception>
    public override Tensor forward(Tensor x, Tensor timestep) => Forward(x, timestep, null);

    /// <summary>Predicts from x_t, t and, for a class-conditional network, a label per image.</summary>
    /// <param name="x">Noisy images, shape [B, C, H, W].</param>
    /// <param name="timestep">Timesteps, shape [B].</param>
    /// <param name="classLabels">int64 labels, shape [B], in [0, <see cref="ClassCount"/>] (<see cref="ClassCount"/> = no class); null for all unconditional. Ignored by an unconditional network.</param>
    /// <returns>A tensor of shape [B, C, H, W].</returns>
    public Tensor Forward(Tensor x, Tensor timestep, Tensor? classLabels)
    {
        NetworkInputs.Check(nameof(UNet), x, timestep, Configuration.ImageChannels, Configuration.SizeMultiple);
        using var scope = NewDisposeScope();
        Tensor time = _timeEmbedding.call(timestep);
        if (_classEmbedding is not null)
        {
            Tensor labels = classLabels ?? TensorScalars.Full([x.shape[0]], ClassCount, ScalarType.Int64, x.device);
            if (labels.dim() != 1 || labels.shape[0] != x.shape[0])
            {
                throw new ArgumentException($"UNet expects one class label per image (shape [{x.shape[0]}]), not [{string.Join(", ", labels.shape)}].", nameof(classLabels));
            }

            time = time.Plus(_classEmbedding.call(labels));
        }

        Tensor h = _convIn.call(x);
        var skips = new Stack<Tensor>();
        skips.Push(h);
        int block = 0;
        for (int level = 0; level < _levels; level++)
        {
            for (int b = 0; b < _blocksPerLevel; b++)
            {
                h = _downBlocks[block++].call(h, time);
                skips.Push(h);
            }

            if (level < _levels - 1)
            {
                h = _downsamples[level].call(h);
                skips.Push(h);
            }
        }

        h = _middle2.call(_middleAttention.call(_middle1.call(h, time)), time);
        block = 0;
        for (int level = _levels - 1; level >= 0; level--)
        {
            for (int b = 0; b <= _blocksPerLevel; b++)
            {
                h = _upBlocks[block++].call(cat([h, skips.Pop()], dim: 1), time);
            }

            if (level > 0)
            {
                h = _upsamples[_levels - 1 - level].call(h);
            }
        }

        return _convOut.call(nn.functional.silu(_normOut.call(h))).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _timeEmbedding.Dispose();
            _classEmbedding?.Dispose();
            _convIn.Dispose();
            _downBlocks.Dispose();
            _downsamples.Dispose();
            _middle1.Dispose();
            _middleAttention.Dispose();
            _middle2.Dispose();
            _upBlocks.Dispose();
            _upsamples.Dispose();
            _normOut.Dispose();
            _convOut.Dispose();
        }

        base.Dispose(disposing);
    }
}
