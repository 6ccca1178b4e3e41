using System.Buffers.Binary;
using System.IO.Compression;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Ddpm.Core.Data;

/// <summary>
/// Grayscale images from an IDX file (the MNIST and Fashion-MNIST format: magic 0x00000803, unsigned
/// bytes, dimensions N x H x W, big-endian), gzip-compressed or not, optionally resized to a square.
/// </summary>
public sealed class IdxImageDataset : ILabeledImageDataset
{
    private const int UnsignedByte3DMagic = 0x00000803;
    private const int UnsignedByte1DMagic = 0x00000801;
    private readonly byte[] _pixels;
    private readonly int[]? _labels;

    /// <summary>Reads the images of an IDX file.</summary>
    /// <param name="path">The file, for example <c>train-images-idx3-ubyte.gz</c>; a gzip header is detected by content, not by name.</param>
    /// <param name="imageSize">Resize every image to this square size (SimpleUNet needs sizes divisible by 16, so 28 → 32); null keeps the file's size. Valid values: 1 to 4096.</param>
    /// <param name="maxImages">Read at most this many images, from the start; null reads all. Valid values: at least 1.</param>
    /// <param name="padTo">Pad every image with black borders, centred, to this square size instead of resizing (28 → 32 keeps Fashion-MNIST's pixels exact); null for no padding. Not with <paramref name="imageSize"/>. Valid values: at least the file's height and width.</param>
    /// <param name="labelsPath">The matching labels file (magic 0x00000801, for example <c>train-labels-idx1-ubyte.gz</c>); null for none. Classes are named by number.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a 3-D unsigned-byte IDX file, or is shorter than its header says.</exception>
    public IdxImageDataset(string path, int? imageSize = null, int? maxImages = null, string? labelsPath = null, int? padTo = null)
    {
        if (padTo is not null && imageSize is not null)
        {
            throw new ArgumentException("Give imageSize (resize) or padTo (pad), not both.", nameof(padTo));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (imageSize is < 1 or > 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "imageSize must lie in [1, 4096], or be null to keep the file's size.");
        }

        if (maxImages is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxImages), maxImages, "maxImages must be at least 1, or null to read every image.");
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The IDX file '{path}' does not exist.", path);
        }

        byte[] content = ReadMaybeGzip(path);
        if (content.Length < 16 || BinaryPrimitives.ReadInt32BigEndian(content) != UnsignedByte3DMagic)
        {
            throw new InvalidDataException(
                $"'{path}' is not an IDX image file: it must start with the magic number 0x00000803 (unsigned bytes, 3 dimensions), as MNIST's train-images-idx3-ubyte does.");
        }

        int count = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(4));
        int height = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(8));
        int width = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(12));
        if (count < 1 || height < 1 || width < 1 || (long)count * height * width != content.Length - 16)
        {
            throw new InvalidDataException(
                $"'{path}' declares {count} images of {height}x{width} ({(long)count * height * width} bytes) but holds {content.Length - 16} bytes of pixels; the file is truncated or corrupt.");
        }

        int n = Math.Min(count, maxImages ?? int.MaxValue);
        if (labelsPath is not null)
        {
            _labels = ReadLabels(labelsPath, count, n);
            ClassNames = DatasetGuard.NumberedClassNames(_labels);
        }

        if (padTo is int target && (target < height || target < width || target > 4096))
        {
            throw new ArgumentOutOfRangeException(nameof(padTo), padTo, $"padTo must lie in [{Math.Max(height, width)}, 4096] for {height}x{width} images.");
        }

        Shape = new ImageShape(1, padTo ?? imageSize ?? height, padTo ?? imageSize ?? width);
        Count = n;
        int pixelsPerImage = Shape.Height * Shape.Width;
        if ((long)n * pixelsPerImage > Array.MaxLength)
        {
            throw new InvalidDataException($"'{path}' holds too many images to keep in memory at {Shape}; pass a smaller maxImages.");
        }

        _pixels = new byte[n * pixelsPerImage];
        if (padTo is int padded)
        {
            // Pixel 0 is black, the background of MNIST-style images.
            int top = (padded - height) / 2;
            int left = (padded - width) / 2;
            for (int i = 0; i < n; i++)
            {
                for (int y = 0; y < height; y++)
                {
                    content.AsSpan(16 + (i * height * width) + (y * width), width)
                        .CopyTo(_pixels.AsSpan((i * pixelsPerImage) + ((top + y) * padded) + left, width));
                }
            }
        }
        else if (imageSize is not int size)
        {
            Array.Copy(content, 16, _pixels, 0, _pixels.Length);
        }
        else
        {
            Parallel.For(0, n, i =>
            {
                using var image = Image.LoadPixelData<L8>(content.AsSpan(16 + (i * height * width), height * width), width, height);
                ImagePixels.Fit(image, size, ResizeMode.Stretch);
                image.CopyPixelDataTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, L8>(_pixels.AsSpan(i * pixelsPerImage, pixelsPerImage)));
            });
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
        ImagePixels.InterleavedBytesToPlanar(_pixels.AsSpan(index * size, size), Shape, destination);
    }

    private static int[] ReadLabels(string path, int imageCount, int keep)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The IDX labels file '{path}' does not exist.", path);
        }

        byte[] content = ReadMaybeGzip(path);
        if (content.Length < 8 || BinaryPrimitives.ReadInt32BigEndian(content) != UnsignedByte1DMagic)
        {
            throw new InvalidDataException($"'{path}' is not an IDX labels file: it must start with the magic number 0x00000801, as MNIST's train-labels-idx1-ubyte does.");
        }

        int count = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(4));
        if (count != imageCount || content.Length - 8 != count)
        {
            throw new InvalidDataException($"'{path}' declares {count} labels and holds {content.Length - 8}, but the images file has {imageCount}; use the labels file that belongs to the images.");
        }

        return content.AsSpan(8, keep).ToArray().Select(b => (int)b).ToArray();
    }

    private static byte[] ReadMaybeGzip(string path)
    {
        using FileStream file = File.OpenRead(path);
        int first = file.ReadByte();
        int second = file.ReadByte();
        file.Position = 0;
        if (first == 0x1f && second == 0x8b)
        {
            try
            {
                using var gzip = new GZipStream(file, CompressionMode.Decompress);
                using var memory = new MemoryStream();
                gzip.CopyTo(memory);
                return memory.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"'{path}' starts like a gzip file but cannot be decompressed ({e.Message}); the download may be truncated.", e);
            }
        }

        using var plain = new MemoryStream();
        file.CopyTo(plain);
        return plain.ToArray();
    }
}
