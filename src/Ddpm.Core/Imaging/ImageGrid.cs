using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace Ddpm.Core.Imaging;

/// <summary>Lays a batch of image tensors out as one picture: a grid of samples, or a strip when it has one row.</summary>
public static class ImageGrid
{
    /// <summary>Arranges a batch as a grid, row by row, separated by dark padding.</summary>
    /// <param name="images">Images of shape [N, C, H, W] with C = 1 or 3 and values in [-1, 1] (clamped).</param>
    /// <param name="columns">Images per row; null chooses ⌈√N⌉. Valid values: at least 1.</param>
    /// <param name="padding">Pixels between and around images. Valid values: 0 to 64. The default value is 2.</param>
    /// <returns>A new image the caller owns.</returns>
    /// <exception cref="ArgumentException">The batch's shape is not [N, 1|3, H, W] with N ≥ 1, or an argument is out of range.</exception>
    public static Image<Rgb24> Create(Tensor images, int? columns = null, int padding = 2)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[0] < 1)
        {
            throw new ArgumentException($"A grid needs images of shape [N, C, H, W] with N ≥ 1, not [{string.Join(", ", images.shape)}].", nameof(images));
        }

        if (columns is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(columns), columns, "columns must be at least 1, or null for a square-ish grid.");
        }

        if (padding is < 0 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding must lie in [0, 64].");
        }

        int count = checked((int)images.shape[0]);
        int height = checked((int)images.shape[2]);
        int width = checked((int)images.shape[3]);
        int cols = Math.Min(columns ?? (int)Math.Ceiling(Math.Sqrt(count)), count);
        int rows = (count + cols - 1) / cols;
        var grid = new Image<Rgb24>(
            padding + (cols * (width + padding)), padding + (rows * (height + padding)), new Rgb24(24, 24, 24));
        for (int i = 0; i < count; i++)
        {
            using Tensor one = images[i];
            using Image<Rgb24> tile = ImageTensors.ToImage(one);
            int x = padding + ((i % cols) * (width + padding));
            int y = padding + ((i / cols) * (height + padding));
            grid.ProcessPixelRows(tile, (target, source) =>
            {
                for (int row = 0; row < source.Height; row++)
                {
                    source.GetRowSpan(row).CopyTo(target.GetRowSpan(y + row).Slice(x, width));
                }
            });
        }

        return grid;
    }

    /// <summary>Saves a batch as a PNG grid, creating the folder if needed.</summary>
    /// <param name="images">Images of shape [N, C, H, W] with values in [-1, 1].</param>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="columns">Images per row; null chooses ⌈√N⌉.</param>
    /// <param name="padding">Pixels between and around images. The default value is 2.</param>
    public static void SavePng(Tensor images, string path, int? columns = null, int padding = 2)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using Image<Rgb24> grid = Create(images, columns, padding);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        grid.SaveAsPng(path);
    }

    /// <summary>Encodes a batch as a PNG grid in memory, for example as the body of a web response.</summary>
    /// <param name="images">Images of shape [N, C, H, W] with values in [-1, 1].</param>
    /// <param name="columns">Images per row; null chooses ⌈√N⌉.</param>
    /// <param name="padding">Pixels between and around images. The default value is 2.</param>
    /// <returns>The PNG file's bytes.</returns>
    public static byte[] ToPng(Tensor images, int? columns = null, int padding = 2)
    {
        using Image<Rgb24> grid = Create(images, columns, padding);
        using var stream = new MemoryStream();
        grid.SaveAsPng(stream);
        return stream.ToArray();
    }
}
