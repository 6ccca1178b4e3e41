namespace Ddpm.Core.Data;

/// <summary>What an image dataset does with a file it cannot decode.</summary>
public enum UnreadableImagePolicy
{
    /// <summary>Throw an <see cref="InvalidDataException"/> that names the file.</summary>
    Fail,

    /// <summary>Leave the file out, log a warning, and list it in <see cref="ImageFolderDataset.SkippedFiles"/>.</summary>
    Skip,
}
