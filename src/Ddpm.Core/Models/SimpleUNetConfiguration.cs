using Ddpm.Core.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Models;

/// <summary>
/// The configuration of <see cref="SimpleUNet"/>. The defaults are the notebook's network
/// (62,438,883 parameters for 3 channels); narrower widths make small networks for tests.
/// </summary>
public sealed class SimpleUNetConfiguration : INetworkConfiguration
{
    /// <summary>Gets or sets the number of image channels (input and output).</summary>
    /// <value>The default value is 3 (RGB). Valid values: 1 to 64.</value>
    public int ImageChannels { get; set; } = 3;

    /// <summary>
    /// Gets or sets the channel widths of the downsampling path; the upsampling path mirrors them.
    /// Each of the <c>Count - 1</c> blocks halves the resolution, so image sizes must be divisible by 2^(Count - 1).
    /// </summary>
    /// <value>The default value is [64, 128, 256, 512, 1024] (the notebook). Valid values: at least 2 widths, each at least 1.</value>
    public IReadOnlyList<int> DownChannels { get; set; } = [64, 128, 256, 512, 1024];

    /// <summary>Gets or sets the width of the sinusoidal time embedding.</summary>
    /// <value>The default value is 32 (the notebook). Valid values: an even number from 4 to 4096.</value>
    public int TimeEmbeddingDim { get; set; } = 32;

    /// <inheritdoc />
    public string Architecture => "simple-unet";

    /// <summary>Gets the factor by which the image size must be divisible: 2^(DownChannels.Count - 1).</summary>
    public int SizeMultiple => 1 << Math.Max(0, (DownChannels?.Count ?? 1) - 1);

    /// <inheritdoc />
    public void Validate(ImageShape shape)
    {
        Validate();
        NetworkInputs.CheckShape(nameof(SimpleUNetConfiguration), $"SimpleUNet with {DownChannels.Count} down widths", shape, ImageChannels, SizeMultiple);
    }

    /// <summary>Checks the configuration's own values.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (ImageChannels is < 1 or > 64)
        {
            throw new ArgumentException($"SimpleUNetConfiguration.ImageChannels is {ImageChannels}; it must lie in [1, 64] (1 for grayscale, 3 for RGB).");
        }

        if (DownChannels is null || DownChannels.Count < 2)
        {
            throw new ArgumentException("SimpleUNetConfiguration.DownChannels needs at least 2 widths, for example [64, 128, 256, 512, 1024].");
        }

        if (DownChannels.Count > 12 || DownChannels.Any(c => c < 1))
        {
            throw new ArgumentException($"SimpleUNetConfiguration.DownChannels [{string.Join(", ", DownChannels)}] must hold 2 to 12 widths, each at least 1.");
        }

        if (TimeEmbeddingDim < 4 || TimeEmbeddingDim > 4096 || TimeEmbeddingDim % 2 != 0)
        {
            throw new ArgumentException($"SimpleUNetConfiguration.TimeEmbeddingDim is {TimeEmbeddingDim}; it must be an even number in [4, 4096], for example 32.");
        }
    }

    /// <inheritdoc />
    public nn.Module<Tensor, Tensor, Tensor> CreateNetwork() => new SimpleUNet(this);

    /// <inheritdoc />
    public override string ToString() =>
        $"SimpleUNet(channels {ImageChannels}, widths [{string.Join(", ", DownChannels)}], time embedding {TimeEmbeddingDim})";
}
