namespace Ddpm.Evaluation;

/// <summary>How a set of generated Fashion-MNIST images compares with the real test set.</summary>
/// <param name="FrechetDistance">The Fréchet distance between Gaussians fitted to the classifier's penultimate features of the samples and of the test set: 0 for identical statistics, larger is worse.</param>
/// <param name="ClassHistogram">The share of samples the classifier assigns to each of the 10 classes (sums to 1).</param>
/// <param name="ClassEntropy">The entropy of <see cref="ClassHistogram"/> in nats: ln 10 ≈ 2.303 when all classes are equally common, 0 when all samples are one class.</param>
/// <param name="MeanConfidence">The mean probability of the predicted class: near 1 for clear garments, near 0.1 for noise.</param>
/// <param name="MeanIntensity">The mean pixel value on a 0 (black) to 1 (white) scale: 0.220 for the padded test set. Higher means samples brighter or larger than the data's, which skews the classes towards the large ones (bags, pullovers, coats).</param>
/// <param name="Count">The number of samples evaluated.</param>
public sealed record SampleQuality(double FrechetDistance, IReadOnlyList<double> ClassHistogram, double ClassEntropy, double MeanConfidence, double MeanIntensity, int Count)
{
    /// <summary>Gets the Fashion-MNIST class names, in label order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
}
