using Ddpm.Cli.Settings;
using Ddpm.Core.Data;
using Microsoft.Extensions.Logging;

namespace Ddpm.Cli.Input;

/// <summary>Opens what <c>--data</c> names: a folder of images, an IDX file, or the bundled Fashion-MNIST images.</summary>
internal static class DatasetLoader
{
    /// <summary>The bundled images: the first 10,000 of Fashion-MNIST's training split.</summary>
    public static string BundledImages { get; } = Path.Combine(AppContext.BaseDirectory, "Data", "train-10k-images-idx3-ubyte.gz");

    /// <summary>
    /// Opens <paramref name="data"/> at <paramref name="imageSize"/> with <paramref name="channels"/>
    /// channels. IDX images are padded with black when that adds at most 4 pixels a side (28 → 32
    /// keeps Fashion-MNIST's pixels exact) and resized otherwise; grayscale data is repeated to 3
    /// channels for an RGB network.
    /// </summary>
    /// <exception cref="UsageException">The path does not exist or cannot be read as images.</exception>
    public static IImageDataset Open(string? data, int imageSize, int channels, ILoggerFactory logging)
    {
        string path = data ?? BundledImages;
        try
        {
            if (Directory.Exists(path))
            {
                var options = new ImageFolderDatasetOptions { ImageSize = imageSize, ColorMode = channels == 1 ? ColorMode.Grayscale : ColorMode.Rgb };
                return new ImageFolderDataset(path, options, logging.CreateLogger<ImageFolderDataset>());
            }

            if (!File.Exists(path))
            {
                throw new UsageException(data is null
                    ? $"The bundled images '{path}' are missing; rebuild the ddpm command, or give --data."
                    : $"--data '{path}' does not exist; give a folder of images (searched recursively) or an IDX file (.gz or not).");
            }

            ImageShape native = new IdxImageDataset(path, maxImages: 1).Shape;
            bool pad = imageSize >= Math.Max(native.Height, native.Width) && imageSize - Math.Min(native.Height, native.Width) <= 8;
            string? labels = LabelsBeside(path);
            IImageDataset dataset = pad
                ? new IdxImageDataset(path, padTo: imageSize, labelsPath: labels)
                : new IdxImageDataset(path, imageSize: imageSize, labelsPath: labels);
            return channels == 3 ? new RgbFromGrayscaleDataset(dataset) : dataset;
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"--data '{path}' could not be read as images: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UsageException($"--data '{path}' could not be read: {e.Message}");
        }
    }

    /// <summary>The IDX labels file beside an images file (…-images-idx3-ubyte[.gz] → …-labels-idx1-ubyte[.gz]), if there is one.</summary>
    private static string? LabelsBeside(string imagesPath)
    {
        string name = Path.GetFileName(imagesPath);
        if (!name.Contains("images-idx3", StringComparison.Ordinal))
        {
            return null;
        }

        string labels = Path.Combine(Path.GetDirectoryName(imagesPath) ?? ".", name.Replace("images-idx3", "labels-idx1", StringComparison.Ordinal));
        return File.Exists(labels) ? labels : null;
    }
}
