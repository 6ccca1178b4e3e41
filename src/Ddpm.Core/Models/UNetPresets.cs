namespace Ddpm.Core.Models;

/// <summary>Ready-made <see cref="UNetConfiguration"/> sizes. Each call returns a new, mutable configuration.</summary>
public static class UNetPresets
{
    /// <summary>
    /// A very small UNet for tests and smoke runs: base 16, multipliers [1, 2], 1 block per level,
    /// attention only in the middle, 8 groups, no dropout. Sizes divisible by 2. 177,505 parameters and 0.13 GFLOP per 32x32 forward pass for 1 channel.
    /// </summary>
    /// <param name="imageChannels">The image channels; the default value is 3.</param>
    /// <returns>A new configuration.</returns>
    public static UNetConfiguration Tiny(int imageChannels = 3) => new()
    {
        ImageChannels = imageChannels,
        BaseChannels = 16,
        ChannelMultipliers = [1, 2],
        BlocksPerLevel = 1,
        AttentionLevels = [],
        AttentionHeads = 1,
        NormGroups = 8,
        Dropout = 0,
    };

    /// <summary>
    /// The default network: a small UNet sized so that a 2-core CPU trains it 5 epochs over the 60,000
    /// Fashion-MNIST images and draws 5,000 samples within 2 hours. Base 24, multipliers [1, 2, 2],
    /// 1 block per level, attention at the lowest level (8x8 for 32x32 images) and in the middle,
    /// 4 heads, 8 groups, no dropout (a run of a few epochs does not overfit). Sizes divisible by 4.
    /// 671,665 parameters and 0.28 GFLOP per 32x32 forward pass for 1 channel (1.17 GFLOP at 64x64 for 3).
    /// </summary>
    /// <param name="imageChannels">The image channels; the default value is 1.</param>
    /// <returns>A new configuration.</returns>
    public static UNetConfiguration Small(int imageChannels = 1) => new()
    {
        ImageChannels = imageChannels,
        BaseChannels = 24,
        ChannelMultipliers = [1, 2, 2],
        BlocksPerLevel = 1,
        AttentionLevels = [2],
        AttentionHeads = 4,
        NormGroups = 8,
        Dropout = 0,
    };

    /// <summary>
    /// A wider, deeper <see cref="Small"/>: base 32, multipliers [1, 2, 2], 2 blocks per level, attention at the
    /// lowest level (8x8 for 32x32 images) and in the middle, 4 heads, 8 groups, dropout 0.1. Sizes
    /// divisible by 4. 1,742,881 parameters and 0.73 GFLOP per 32x32 forward pass for 1 channel
    /// (attention at 16x16 would cost 0.84 GFLOP and halve CPU training speed).
    /// </summary>
    /// <param name="imageChannels">The image channels; the default value is 1.</param>
    /// <returns>A new configuration.</returns>
    public static UNetConfiguration Medium(int imageChannels = 1) => new()
    {
        ImageChannels = imageChannels,
        BaseChannels = 32,
        ChannelMultipliers = [1, 2, 2],
        BlocksPerLevel = 2,
        AttentionLevels = [2],
        AttentionHeads = 4,
        NormGroups = 8,
        Dropout = 0.1,
    };

    /// <summary>
    /// The DDPM paper's CIFAR-10 layout at half width: base 64, multipliers [1, 2, 2, 2], 2 blocks per
    /// level, attention at the second level and in the middle, 32 groups, dropout 0.1 (the
    /// <see cref="UNetConfiguration"/> defaults). Sizes divisible by 8. 9,593,539 parameters and 3.2 GFLOP per 32x32 forward pass for 3 channels.
    /// </summary>
    /// <param name="imageChannels">The image channels; the default value is 3.</param>
    /// <returns>A new configuration.</returns>
    public static UNetConfiguration Base(int imageChannels = 3) => new() { ImageChannels = imageChannels };

    /// <summary>
    /// The DDPM paper's CIFAR-10 network at full width, the notebook's scale: base 128, multipliers
    /// [1, 2, 2, 2], 2 blocks per level, attention at the second level (16x16 for 32x32 images) and in
    /// the middle, 4 heads, 32 groups, dropout 0.1. Sizes divisible by 8. A GPU model.
    /// 38,307,203 parameters and 12.45 GFLOP per 32x32 forward pass for 3 channels (53.8 at 64x64).
    /// </summary>
    /// <param name="imageChannels">The image channels; the default value is 3.</param>
    /// <returns>A new configuration.</returns>
    public static UNetConfiguration Large(int imageChannels = 3) => new() { ImageChannels = imageChannels, BaseChannels = 128 };
}
