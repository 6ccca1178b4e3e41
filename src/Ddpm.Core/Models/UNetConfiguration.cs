using Ddpm.Core.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Models;

/// <summary>
/// The configuration of <see cref="UNet"/>, the library's improved network: residual blocks with
/// GroupNorm and SiLU, the time embedding injected by scale and shift, self-attention at chosen
/// levels, and dropout (the notebook's own list of next steps; Ho et al. 2020, Nichol &amp; Dhariwal 2021).
/// Ready-made sizes are in <see cref="UNetPresets"/>.
/// </summary>
public sealed class UNetConfiguration : INetworkConfiguration
{
    /// <summary>Gets or sets the number of image channels (input and output).</summary>
    /// <value>The default value is 3. Valid values: 1 to 64.</value>
    public int ImageChannels { get; set; } = 3;

    /// <summary>Gets or sets the width of the first level; level l has <c>BaseChannels · ChannelMultipliers[l]</c> channels.</summary>
    /// <value>The default value is 64. Valid values: 1 to 4096, and every level's width divisible by <see cref="NormGroups"/>.</value>
    public int BaseChannels { get; set; } = 64;

    /// <summary>Gets or sets the width multiplier of each level; each level after the first halves the resolution.</summary>
    /// <value>The default value is [1, 2, 2, 2]. Valid values: 1 to 8 levels, each multiplier 1 to 64.</value>
    public IReadOnlyList<int> ChannelMultipliers { get; set; } = [1, 2, 2, 2];

    /// <summary>Gets or sets the number of residual blocks per level on the way down (the way up has one more).</summary>
    /// <value>The default value is 2. Valid values: 1 to 16.</value>
    public int BlocksPerLevel { get; set; } = 2;

    /// <summary>Gets or sets the levels (0 = full resolution) whose blocks are followed by self-attention; the middle always has one.</summary>
    /// <value>The default value is [1] (16x16 for 32x32 images). Valid values: level indices below the number of levels.</value>
    public IReadOnlyList<int> AttentionLevels { get; set; } = [1];

    /// <summary>Gets or sets the number of attention heads.</summary>
    /// <value>The default value is 4. Valid values: 1 to 64, dividing every attended level's width.</value>
    public int AttentionHeads { get; set; } = 4;

    /// <summary>Gets or sets the dropout probability inside residual blocks.</summary>
    /// <value>The default value is 0.1. Valid values: 0 to 0.9.</value>
    public double Dropout { get; set; } = 0.1;

    /// <summary>Gets or sets the number of GroupNorm groups.</summary>
    /// <value>The default value is 32. Valid values: 1 to 1024, dividing every level's width.</value>
    public int NormGroups { get; set; } = 32;

    /// <summary>Gets or sets the number of classes for class-conditional training (an embedding added to the time embedding); 0 builds an unconditional network.</summary>
    /// <value>The default value is 0. Valid values: 0 to 100,000.</value>
    public int ClassCount { get; set; }

    /// <inheritdoc />
    public string Architecture => "unet";

    /// <summary>Gets the factor by which image sizes must be divisible: 2^(levels - 1).</summary>
    public int SizeMultiple => 1 << Math.Max(0, (ChannelMultipliers?.Count ?? 1) - 1);

    /// <inheritdoc />
    public void Validate(ImageShape shape)
    {
        Validate();
        NetworkInputs.CheckShape(nameof(UNetConfiguration), $"UNet with {ChannelMultipliers.Count} levels", shape, ImageChannels, SizeMultiple);
    }

    /// <summary>Checks the configuration's own values.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (ImageChannels is < 1 or > 64)
        {
            throw new ArgumentException($"UNetConfiguration.ImageChannels is {ImageChannels}; it must lie in [1, 64].");
        }

        if (BaseChannels is < 1 or > 4096)
        {
            throw new ArgumentException($"UNetConfiguration.BaseChannels is {BaseChannels}; it must lie in [1, 4096].");
        }

        if (ChannelMultipliers is null || ChannelMultipliers.Count is < 1 or > 8 || ChannelMultipliers.Any(m => m is < 1 or > 64))
        {
            throw new ArgumentException("UNetConfiguration.ChannelMultipliers must hold 1 to 8 multipliers, each in [1, 64], for example [1, 2, 2, 2].");
        }

        if (BlocksPerLevel is < 1 or > 16)
        {
            throw new ArgumentException($"UNetConfiguration.BlocksPerLevel is {BlocksPerLevel}; it must lie in [1, 16].");
        }

        if (NormGroups is < 1 or > 1024)
        {
            throw new ArgumentException($"UNetConfiguration.NormGroups is {NormGroups}; it must lie in [1, 1024].");
        }

        foreach (int width in ChannelMultipliers.Select(m => m * BaseChannels).Prepend(BaseChannels))
        {
            if (width % NormGroups != 0)
            {
                throw new ArgumentException($"UNetConfiguration.NormGroups is {NormGroups} but a level is {width} channels wide; the groups must divide every width (BaseChannels · multiplier).");
            }
        }

        if (AttentionLevels is null || AttentionLevels.Any(l => l < 0 || l >= ChannelMultipliers.Count))
        {
            throw new ArgumentException($"UNetConfiguration.AttentionLevels must hold level indices in [0, {ChannelMultipliers.Count - 1}].");
        }

        if (AttentionHeads is < 1 or > 64)
        {
            throw new ArgumentException($"UNetConfiguration.AttentionHeads is {AttentionHeads}; it must lie in [1, 64].");
        }

        foreach (int width in AttentionLevels.Select(l => ChannelMultipliers[l] * BaseChannels).Append(ChannelMultipliers[^1] * BaseChannels))
        {
            if (width % AttentionHeads != 0)
            {
                throw new ArgumentException($"UNetConfiguration.AttentionHeads is {AttentionHeads} but an attended level is {width} channels wide; the heads must divide it.");
            }
        }

        if (ClassCount is < 0 or > 100_000)
        {
            throw new ArgumentException($"UNetConfiguration.ClassCount is {ClassCount}; it must lie in [0, 100000] (0 for an unconditional network).");
        }

        if (!(Dropout >= 0 && Dropout <= 0.9))
        {
            throw new ArgumentException($"UNetConfiguration.Dropout is {Dropout}; it must lie in [0, 0.9].");
        }
    }

    /// <inheritdoc />
    public nn.Module<Tensor, Tensor, Tensor> CreateNetwork() => new UNet(this);

    /// <inheritdoc />
    public override string ToString() =>
        $"UNet(channels {ImageChannels}, base {BaseChannels}, multipliers [{string.Join(", ", ChannelMultipliers)}], {BlocksPerLevel} blocks/level, attention at [{string.Join(", ", AttentionLevels)}], dropout {Dropout}{(ClassCount > 0 ? $", {ClassCount} classes" : string.Empty)})";
}
