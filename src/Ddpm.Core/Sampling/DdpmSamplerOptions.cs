namespace Ddpm.Core.Sampling;

/// <summary>Options for <see cref="DdpmSampler"/>. <see cref="DdpmSamplerOptionsValidator"/> checks every value.</summary>
public sealed class DdpmSamplerOptions
{
    /// <summary>Gets or sets the device to sample on: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>; null uses the model's device. The model must already live there.</summary>
    /// <value>The default value is null.</value>
    public string? Device { get; set; }

    /// <summary>Gets or sets the seed of the sampling noise; the same seed, model and count give the same images on the CPU. Null draws one at random.</summary>
    /// <value>The default value is null. Valid values: null or any non-negative integer.</value>
    public int? Seed { get; set; }

    /// <summary>Gets or sets how many images are denoised at once; a request for more runs in several batches.</summary>
    /// <value>The default value is 64. Valid values: 1 to 65,536.</value>
    public int BatchSize { get; set; } = 64;

    /// <summary>Gets or sets whether x_{t-1} is clamped to [-1, 1] after every step, as the notebook does. The returned images are clamped either way.</summary>
    /// <value>The default value is true.</value>
    public bool ClampEachStep { get; set; } = true;

    /// <summary>Gets or sets which weights to sample with.</summary>
    /// <value>The default value is <see cref="ModelWeights.Ema"/>: the moving average when the model has one.</value>
    public ModelWeights Weights { get; set; } = ModelWeights.Ema;

    /// <summary>Gets or sets which statistics BatchNorm layers use; the model's own state never changes.</summary>
    /// <value>The default value is <see cref="BatchNormMode.RunningStatistics"/> (eval mode).</value>
    public BatchNormMode BatchNormMode { get; set; } = BatchNormMode.RunningStatistics;
}
