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

    /// <summary>
    /// Reads the configuration off the shapes of a SimpleUNet <c>state_dict</c>, such as the notebook's
    /// <c>torch.save(model.state_dict())</c>: <c>conv0.weight</c> is [widths[0], channels, 3, 3],
    /// <c>downs.i.conv1.weight</c> is [widths[i + 1], widths[i], 3, 3], and <c>time_mlp.1.weight</c>
    /// is the time embedding's [dim, dim] linear layer.
    /// </summary>
    /// <param name="stateDict">The tensors by name.</param>
    /// <returns>The configuration whose network has exactly these names and shapes (load them to check).</returns>
    /// <exception cref="InvalidDataException">The tensors are not a SimpleUNet's.</exception>
    public static SimpleUNetConfiguration FromStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        long[] Shape(string name, int rank) =>
            stateDict.TryGetValue(name, out Tensor? tensor) && tensor.shape.Length == rank
                ? tensor.shape
                : throw new InvalidDataException($"The weights are not a SimpleUNet's: '{name}' is missing or not {rank}-dimensional (the notebook's SimpleUnet has conv0.weight, downs.N.conv1.weight and time_mlp.1.weight).");

        long[] first = Shape("conv0.weight", 4);
        var widths = new List<int> { (int)first[0] };
        for (int i = 0; stateDict.ContainsKey($"downs.{i}.conv1.weight"); i++)
        {
            widths.Add((int)Shape($"downs.{i}.conv1.weight", 4)[0]);
        }

        var configuration = new SimpleUNetConfiguration
        {
            ImageChannels = (int)first[1],
            DownChannels = widths,
            TimeEmbeddingDim = (int)Shape("time_mlp.1.weight", 2)[1],
        };
        try
        {
            configuration.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The weights describe an unsupported SimpleUNet: {e.Message}", e);
        }

        return configuration;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"SimpleUNet(channels {ImageChannels}, widths [{string.Join(", ", DownChannels)}], time embedding {TimeEmbeddingDim})";
}
