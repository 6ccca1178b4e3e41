namespace Ddpm.Core.Data;

/// <summary>
/// An image dataset whose images may carry class labels, for class-conditional training
/// (<see cref="Training.DdpmTrainerOptions.ClassConditional"/>). A dataset without labels reports
/// <see cref="ClassCount"/> = 0.
/// </summary>
public interface ILabeledImageDataset : IImageDataset
{
    /// <summary>Gets the number of classes; 0 when the images have no labels.</summary>
    int ClassCount { get; }

    /// <summary>Gets the name of each class, indexed by label (for example the subfolder names).</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>Gets the label of image <paramref name="index"/>, in [0, <see cref="ClassCount"/>).</summary>
    /// <param name="index">The image index.</param>
    /// <returns>The class label.</returns>
    /// <exception cref="InvalidOperationException">The dataset has no labels.</exception>
    int GetLabel(int index);
}
