using Ddpm.Core.Data;

namespace Ddpm.Cli.Input;

/// <summary>Presents a 1-channel dataset as 3 identical channels, for RGB networks (the notebook's) trained on grayscale data.</summary>
internal sealed class RgbFromGrayscaleDataset(IImageDataset inner) : IImageDataset
{
    private readonly ThreadLocal<float[]> _buffer = new(() => new float[inner.Shape.ElementCount]);

    public int Count => inner.Count;

    public ImageShape Shape { get; } = new(3, inner.Shape.Height, inner.Shape.Width);

    public void CopyImage(int index, Span<float> destination)
    {
        float[] grey = _buffer.Value!;
        inner.CopyImage(index, grey);
        for (int channel = 0; channel < 3; channel++)
        {
            grey.CopyTo(destination.Slice(channel * grey.Length, grey.Length));
        }
    }
}
