using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Data;

/// <summary>Copies images from a dataset into one [B, C, H, W] tensor, flipping the ones asked for.</summary>
internal sealed class BatchAssembler
{
    private readonly IImageDataset _dataset;
    private readonly float[] _buffer;
    private readonly float[] _image;
    private readonly int _batchSize;

    public BatchAssembler(IImageDataset dataset, int batchSize)
    {
        _dataset = dataset;
        _batchSize = batchSize;
        _buffer = new float[checked(batchSize * dataset.Shape.ElementCount)];
        _image = new float[dataset.Shape.ElementCount];
    }

    /// <summary>Builds the batch on <paramref name="device"/>; the tensor belongs to the current dispose scope.</summary>
    public Tensor Assemble(ReadOnlySpan<int> indices, Func<int, bool> flip, Device device)
    {
        ImageShape shape = _dataset.Shape;
        int size = shape.ElementCount;
        for (int b = 0; b < indices.Length; b++)
        {
            int index = indices[b];
            Span<float> target = _buffer.AsSpan(b * size, size);
            if (!flip(index))
            {
                _dataset.CopyImage(index, target);
                continue;
            }

            _dataset.CopyImage(index, _image);
            MirrorRows(_image, target, shape.Width);
        }

        var batch = tensor(_buffer, [_batchSize, shape.Channels, shape.Height, shape.Width]);
        if (indices.Length < _batchSize)
        {
            batch = batch.narrow(0, 0, indices.Length);
        }

        return device.type == DeviceType.CPU ? batch : batch.to(device);
    }

    /// <summary>Reverses every row of every channel plane: a horizontal flip of a C x H x W image.</summary>
    private static void MirrorRows(ReadOnlySpan<float> source, Span<float> destination, int width)
    {
        for (int start = 0; start < source.Length; start += width)
        {
            ReadOnlySpan<float> row = source.Slice(start, width);
            Span<float> mirrored = destination.Slice(start, width);
            for (int x = 0; x < width; x++)
            {
                mirrored[x] = row[width - 1 - x];
            }
        }
    }
}
