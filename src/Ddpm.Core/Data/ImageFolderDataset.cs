using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Ddpm.Core.Data;

/// <summary>
/// The images in a folder (and, by default, its subfolders: the Stanford Cars layout), decoded with
/// ImageSharp, resized to a square, converted to RGB or grayscale and scaled to [-1, 1]. Every file is
/// decoded once, in parallel, when the dataset is created, and kept as 8-bit pixels, so a bad file is
/// reported before training starts and epochs after the first cost no decoding. CMYK, 16-bit,
/// palette and grayscale files are converted; an alpha channel is dropped (as PIL's
/// <c>convert("RGB")</c> drops it); images smaller than the target size are enlarged.
/// </summary>
public sealed class ImageFolderDataset : ILabeledImageDataset
{
    /// <summary>
    /// The most pixels a file may declare (16384 x 16384); a larger one is unreadable, so that a corrupt
    /// or hostile header cannot make the loader allocate gigabytes.
    /// </summary>
    public const long MaxPixels = 1L << 28;

    private readonly byte[][] _pixels;
    private readonly int[]? _labels;

    /// <summary>Finds and decodes the images in <paramref name="directory"/>.</summary>
    /// <param name="directory">The folder to read.</param>
    /// <param name="options">How to find and prepare the images; null uses the defaults (64x64 RGB, recursive).</param>
    /// <param name="logger">Receives the count of images found and warnings about skipped files.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The folder holds no image files, or a file cannot be decoded (with <see cref="UnreadableImagePolicy.Fail"/>).</exception>
    public ImageFolderDataset(string directory, ImageFolderDatasetOptions? options = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        options ??= new ImageFolderDatasetOptions();
        options.Validate();
        logger ??= NullLogger.Instance;
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The image folder '{directory}' does not exist.");
        }

        var extensions = new HashSet<string>(options.Extensions, StringComparer.OrdinalIgnoreCase);
        string[] files = Directory
            .EnumerateFiles(directory, "*", options.Recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(f => extensions.Contains(Path.GetExtension(f)))
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (files.Length == 0)
        {
            throw new InvalidDataException(
                $"The folder '{directory}' holds no image files ({string.Join(", ", options.Extensions)}){(options.Recursive ? " in it or its subfolders" : string.Empty)}.");
        }

        int channels = options.ColorMode == ColorMode.Rgb ? 3 : 1;
        Shape = new ImageShape(channels, options.ImageSize, options.ImageSize);
        var decoded = new byte[files.Length][];
        var failures = new ConcurrentBag<(string File, string Reason)>();
        Parallel.For(0, files.Length, new ParallelOptions { MaxDegreeOfParallelism = options.DegreeOfParallelism }, i =>
        {
            try
            {
                decoded[i] = Decode(files[i], options);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A corrupt file can make the decoder throw almost anything (ImageSharp answers a truncated
                // TGA with ArgumentException); to the user each is the same fact: this file cannot be read.
                failures.Add((files[i], e.Message));
            }
        });

        if (!failures.IsEmpty)
        {
            var sorted = failures.OrderBy(f => f.File, StringComparer.Ordinal).ToArray();
            if (options.UnreadableImages == UnreadableImagePolicy.Fail)
            {
                (string file, string reason) = sorted[0];
                throw new InvalidDataException(
                    $"Cannot read the image '{file}' ({reason}){(sorted.Length > 1 ? $"; {sorted.Length - 1} more file(s) fail too" : string.Empty)}. Remove or repair it, or set UnreadableImages to Skip.");
            }

            foreach ((string file, string reason) in sorted)
            {
                logger.LogWarning("Skipping unreadable image {File}: {Reason}", file, reason);
            }
        }

        SkippedFiles = failures.Select(f => f.File).Order(StringComparer.Ordinal).ToArray();
        var kept = Enumerable.Range(0, files.Length).Where(i => decoded[i] is not null).ToArray();
        if (kept.Length == 0)
        {
            throw new InvalidDataException($"None of the {files.Length} image file(s) in '{directory}' could be read.");
        }

        Files = kept.Select(i => files[i]).ToArray();
        _pixels = kept.Select(i => decoded[i]).ToArray();

        // Class labels from the first-level subfolders, when every image lies in one (folder/class/image.jpg).
        string root = Path.GetFullPath(directory);
        string?[] classes = Files.Select(f => Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar) is { Length: > 1 } parts ? parts[0] : null).ToArray();
        if (classes.All(c => c is not null))
        {
            ClassNames = classes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray()!;
            var index = ClassNames.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
            _labels = classes.Select(c => index[c!]).ToArray();
        }

        logger.LogInformation("Loaded {Count} images of {Shape} from {Directory} ({Skipped} skipped)", Count, Shape, directory, SkippedFiles.Count);
    }

    /// <summary>Gets the image files in dataset order (sorted by path).</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Gets the files that could not be decoded and were left out.</summary>
    public IReadOnlyList<string> SkippedFiles { get; }

    /// <inheritdoc />
    public int Count => _pixels.Length;

    /// <summary>Gets the number of classes: the first-level subfolders when every image lies in one, else 0.</summary>
    public int ClassCount => ClassNames.Count;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; } = [];

    /// <inheritdoc />
    public int GetLabel(int index) => DatasetGuard.Label(_labels, index);

    /// <inheritdoc />
    public ImageShape Shape { get; }

    /// <inheritdoc />
    public void CopyImage(int index, Span<float> destination)
    {
        DatasetGuard.CheckRead(this, index, destination);
        ImagePixels.InterleavedBytesToPlanar(_pixels[index], Shape, destination);
    }

    private static byte[] Decode(string file, ImageFolderDatasetOptions options)
    {
        // The header first: a file that claims an enormous size is refused before any pixel memory is taken.
        using FileStream stream = File.OpenRead(file);
        IImageInfo info = Image.Identify(stream) ?? throw new UnknownImageFormatException("the content is not an image format ImageSharp knows");
        if ((long)info.Width * info.Height > MaxPixels)
        {
            throw new InvalidImageContentException($"it claims {info.Width}x{info.Height} pixels, more than the {MaxPixels:N0} an image may have");
        }

        stream.Position = 0;
        if (options.ColorMode == ColorMode.Rgb)
        {
            using Image<Rgb24> image = Image.Load<Rgb24>(stream);
            ImagePixels.Fit(image, options.ImageSize, options.ResizeMode);
            var pixels = new byte[options.ImageSize * options.ImageSize * 3];
            image.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(pixels.AsSpan()));
            return pixels;
        }
        else
        {
            using Image<L8> image = Image.Load<L8>(stream);
            ImagePixels.Fit(image, options.ImageSize, options.ResizeMode);
            var pixels = new byte[options.ImageSize * options.ImageSize];
            image.CopyPixelDataTo(MemoryMarshal.Cast<byte, L8>(pixels.AsSpan()));
            return pixels;
        }
    }
}
