using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Data;

/// <summary>A dataset over images already in memory: a tensor of shape [N, C, H, W] with values in [-1, 1].</summary>
public sealed class InMemoryImageDataset : ILabeledImageDataset
{
    private readonly float[] _values;

    private readonly int[]? _labels;

    /// <summary>Copies <paramref name="images"/> (any device, any floating dtype) and optional labels into managed memory.</summary>
    /// <param name="images">Images of shape [N, C, H, W] with N ≥ 1 and every value finite and in [-1, 1].</param>
    /// <param name="labels">Class labels, shape [N], integers in [0, <paramref name="classNames"/>.Count) (or [0, max + 1) without names); null for none.</param>
    /// <param name="classNames">Names of the classes; null names them by number.</param>
    /// <exception cref="ArgumentException">The shape is wrong, a value is not finite or lies outside [-1, 1], or a label is out of range; the message names the first bad image.</exception>
    public InMemoryImageDataset(Tensor images, Tensor? labels = null, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[0] < 1)
        {
            throw new ArgumentException(
                $"The images must have shape [N, C, H, W] with N ≥ 1, not [{string.Join(", ", images.shape)}].", nameof(images));
        }

        if (!images.is_floating_point())
        {
            throw new ArgumentException($"The images must be a floating-point tensor scaled to [-1, 1], not {images.dtype}.", nameof(images));
        }

        Shape = new ImageShape(checked((int)images.shape[1]), checked((int)images.shape[2]), checked((int)images.shape[3]));
        Count = checked((int)images.shape[0]);
        using (NewDisposeScope())
        {
            _values = images.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        }

        if (labels is not null)
        {
            _labels = DatasetGuard.ReadLabels(labels, Count, classNames?.Count);
            ClassNames = classNames ?? DatasetGuard.NumberedClassNames(_labels);
        }

        int size = Shape.ElementCount;
        for (int i = 0; i < _values.Length; i++)
        {
            float v = _values[i];
            if (!float.IsFinite(v) || v < -1f || v > 1f)
            {
                throw new ArgumentException(
                    $"Image {i / size} holds the value {v} at position {i % size}; every value must be finite and in [-1, 1] (scale pixels with x / 127.5 - 1).", nameof(images));
            }
        }
    }

    /// <inheritdoc />
    public int Count { get; }

    /// <inheritdoc />
    public ImageShape Shape { get; }

    /// <inheritdoc />
    public int ClassCount => ClassNames.Count;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; } = [];

    /// <inheritdoc />
    public int GetLabel(int index) => DatasetGuard.Label(_labels, index);

    /// <inheritdoc />
    public void CopyImage(int index, Span<float> destination)
    {
        DatasetGuard.CheckRead(this, index, destination);
        int size = Shape.ElementCount;
        _values.AsSpan(index * size, size).CopyTo(destination);
    }
}
