namespace Ddpm.Core.Data;

/// <summary>How <see cref="ImageFolderDataset"/> finds and prepares images.</summary>
public sealed class ImageFolderDatasetOptions
{
    /// <summary>Gets or sets the side of the square images produced, in pixels.</summary>
    /// <value>The default value is 64 (the notebook). Valid values: 1 to 4096.</value>
    public int ImageSize { get; set; } = 64;

    /// <summary>Gets or sets the channels produced.</summary>
    /// <value>The default value is <see cref="ColorMode.Rgb"/>.</value>
    public ColorMode ColorMode { get; set; } = ColorMode.Rgb;

    /// <summary>Gets or sets how images are fitted to the square size.</summary>
    /// <value>The default value is <see cref="ResizeMode.Stretch"/> (the notebook).</value>
    public ResizeMode ResizeMode { get; set; } = ResizeMode.Stretch;

    /// <summary>Gets or sets whether subfolders are searched too (the Stanford Cars layout nests them).</summary>
    /// <value>The default value is true.</value>
    public bool Recursive { get; set; } = true;

    /// <summary>Gets or sets the file extensions, with their dots, that count as images (case-insensitive).</summary>
    /// <value>The default value is .jpg, .jpeg, .png, .bmp, .gif, .webp, .tga, .tif, .tiff, .pbm.</value>
    public IReadOnlyList<string> Extensions { get; set; } =
        [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tga", ".tif", ".tiff", ".pbm"];

    /// <summary>Gets or sets what happens to a file that has an image extension but cannot be decoded.</summary>
    /// <value>The default value is <see cref="UnreadableImagePolicy.Fail"/>: no run starts on data it cannot read in full.</value>
    public UnreadableImagePolicy UnreadableImages { get; set; } = UnreadableImagePolicy.Fail;

    /// <summary>Gets or sets how many images are decoded at once.</summary>
    /// <value>The default value is <see cref="Environment.ProcessorCount"/>. Valid values: 1 to 256.</value>
    public int DegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    internal void Validate()
    {
        if (ImageSize is < 1 or > 4096)
        {
            throw new ArgumentException($"ImageFolderDatasetOptions.ImageSize is {ImageSize}; it must lie in [1, 4096], for example 64.");
        }

        if (!Enum.IsDefined(ColorMode))
        {
            throw new ArgumentException($"ImageFolderDatasetOptions.ColorMode {(int)ColorMode} is not a ColorMode; use Rgb or Grayscale.");
        }

        if (!Enum.IsDefined(ResizeMode))
        {
            throw new ArgumentException($"ImageFolderDatasetOptions.ResizeMode {(int)ResizeMode} is not a ResizeMode; use Stretch or CenterCrop.");
        }

        if (!Enum.IsDefined(UnreadableImages))
        {
            throw new ArgumentException($"ImageFolderDatasetOptions.UnreadableImages {(int)UnreadableImages} is not an UnreadableImagePolicy; use Fail or Skip.");
        }

        if (Extensions is null || Extensions.Count == 0 || Extensions.Any(e => string.IsNullOrWhiteSpace(e) || !e.StartsWith('.')))
        {
            throw new ArgumentException("ImageFolderDatasetOptions.Extensions must list at least one extension, each starting with a dot, for example \".jpg\".");
        }

        if (DegreeOfParallelism is < 1 or > 256)
        {
            throw new ArgumentException($"ImageFolderDatasetOptions.DegreeOfParallelism is {DegreeOfParallelism}; it must lie in [1, 256].");
        }
    }
}
