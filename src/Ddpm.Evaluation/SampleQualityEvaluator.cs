using System.Globalization;
using Ddpm.Core.Data;
using Ddpm.Core.Interop;
using Ddpm.Core.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Evaluation;

/// <summary>
/// Scores generated Fashion-MNIST images (32x32, one channel, values in [-1, 1]) with a small
/// classifier shipped in the package: the Fréchet distance of its penultimate features against the
/// real test set (FID's formula, Heusel et al. 2017, with a Fashion-MNIST network instead of
/// Inception), the class histogram and its entropy, and the mean confidence.
/// </summary>
public sealed class SampleQualityEvaluator : IDisposable
{
    private const string ResourceName = "Ddpm.Evaluation.fashion-mnist-classifier.safetensors";
    private const string NetworkPrefix = "network.";
    private const string ReferencePrefix = "reference.";
    private const int BatchSize = 500;
    private readonly FashionMnistClassifier _classifier;
    private readonly Tensor _referenceMean;
    private readonly Tensor _referenceCovariance;

    private SampleQualityEvaluator(FashionMnistClassifier classifier, Tensor mean, Tensor covariance, double accuracy)
    {
        _classifier = classifier;
        _referenceMean = mean;
        _referenceCovariance = covariance;
        ClassifierAccuracy = accuracy;
    }

    /// <summary>Gets the classifier's accuracy on the Fashion-MNIST test set, measured when it was trained.</summary>
    public double ClassifierAccuracy { get; }

    /// <summary>Loads the classifier and the test-set feature statistics shipped in the package.</summary>
    /// <returns>The evaluator; the caller owns it.</returns>
    /// <exception cref="CpuKernelCheckException">No CPU kernel path computes correctly on this CPU, so the classifier's scores would be wrong; see <see cref="CpuKernels.Ensure"/>.</exception>
    public static SampleQualityEvaluator Load()
    {
        // The classifier runs on the CPU: its convolutions must be right for the scores to be.
        CpuKernels.Ensure();
        using Stream stream = typeof(SampleQualityEvaluator).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The package lacks its classifier resource '{ResourceName}'.");

        // A safetensors file (read with the public Interop API): the classifier's weights under "network.",
        // the test set's feature statistics under "reference.", the accuracy in the metadata.
        using StateDict tensors = SafeTensors.Read(stream, ResourceName, out IReadOnlyDictionary<string, string> metadata);
        var classifier = new FashionMnistClassifier();
        try
        {
            StateDictLoader.Load(classifier, tensors.Where(t => t.Key.StartsWith(NetworkPrefix, StringComparison.Ordinal)).ToDictionary(t => t.Key[NetworkPrefix.Length..], t => t.Value), strict: true);

            classifier.eval();
            double accuracy = double.Parse(metadata["accuracy"], CultureInfo.InvariantCulture);

            // The evaluator keeps the reference statistics; the using frees the rest.
            return new SampleQualityEvaluator(classifier, tensors.Take(ReferencePrefix + "mean"), tensors.Take(ReferencePrefix + "covariance"), accuracy);
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }

    /// <summary>Evaluates a set of samples.</summary>
    /// <param name="images">Samples of shape [N, 1, 32, 32] with values in [-1, 1], N ≥ 2 (a few thousand for a stable distance).</param>
    /// <returns>The scores.</returns>
    /// <exception cref="ArgumentException">The tensor's shape is wrong.</exception>
    public SampleQuality Evaluate(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] != 1 || images.shape[2] != 32 || images.shape[3] != 32 || images.shape[0] < 2)
        {
            throw new ArgumentException(
                $"The samples must have shape [N, 1, 32, 32] with N ≥ 2 (Fashion-MNIST padded or resized to 32x32), not [{string.Join(", ", images.shape)}].", nameof(images));
        }

        using var scope = NewDisposeScope();
        (Tensor features, Tensor probabilities) = Features(_classifier, images);
        Tensor mean = features.mean([0]);
        Tensor covariance = Covariance(features, mean);
        double distance = FrechetDistance(mean, covariance, _referenceMean, _referenceCovariance);
        Tensor predicted = probabilities.argmax(1);
        double[] histogram = bincount(predicted, minlength: FashionMnistClassifier.ClassCount).to(ScalarType.Float64).div(images.shape[0]).data<double>().ToArray();
        double entropy = -histogram.Where(p => p > 0).Sum(p => p * Math.Log(p));
        double confidence = probabilities.max(1).values.mean().to(ScalarType.Float64).item<double>();
        // Values in [-1, 1] map to intensities (x + 1) / 2 in [0, 1].
        double intensity = (images.to(ScalarType.Float64).mean().item<double>() + 1) / 2;
        return new SampleQuality(distance, histogram, entropy, confidence, intensity, (int)images.shape[0]);
    }

    /// <summary>
    /// Evaluates a folder of sample images (PNG, JPEG and the other formats <see cref="ImageFolderDataset"/>
    /// reads, searched recursively), each read as grayscale (an RGB image becomes its luminance). Write
    /// the samples at 32x32, as Fashion-MNIST padded to 32x32 is; other sizes are stretched to 32x32.
    /// </summary>
    /// <param name="directory">The folder; it must hold at least 2 images.</param>
    /// <returns>The scores.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The folder holds fewer than 2 images, or an image cannot be read.</exception>
    public SampleQuality EvaluateFolder(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var dataset = new ImageFolderDataset(directory, new ImageFolderDatasetOptions { ImageSize = 32, ColorMode = ColorMode.Grayscale });
        if (dataset.Count < 2)
        {
            throw new InvalidDataException($"The folder '{directory}' holds {dataset.Count} image(s); the Fréchet distance needs at least 2 (a few thousand for a stable value).");
        }

        int size = dataset.Shape.ElementCount;
        var pixels = new float[dataset.Count * size];
        for (int i = 0; i < dataset.Count; i++)
        {
            dataset.CopyImage(i, pixels.AsSpan(i * size, size));
        }

        using Tensor images = tensor(pixels, [dataset.Count, 1, 32, 32]);
        return Evaluate(images);
    }

    /// <summary>Disposes the classifier and the reference statistics.</summary>
    public void Dispose()
    {
        _classifier.Dispose();
        _referenceMean.Dispose();
        _referenceCovariance.Dispose();
    }

    /// <summary>Writes a trained classifier and the feature statistics of <paramref name="referenceImages"/> (the test set).</summary>
    internal static void WriteReference(string path, nn.Module classifier, Tensor referenceImages, double accuracy)
    {
        using var scope = NewDisposeScope();
        var network = (FashionMnistClassifier)classifier;
        network.eval();
        (Tensor features, _) = Features(network, referenceImages);
        Tensor mean = features.mean([0]);
        var tensors = network.state_dict().Select(t => new KeyValuePair<string, Tensor>(NetworkPrefix + t.Key, t.Value)).ToList();
        tensors.Add(new(ReferencePrefix + "mean", mean));
        tensors.Add(new(ReferencePrefix + "covariance", Covariance(features, mean)));
        SafeTensors.Write(path, tensors, new Dictionary<string, string>
        {
            ["format"] = "fashion-mnist-classifier",
            ["accuracy"] = accuracy.ToString("R", CultureInfo.InvariantCulture),
            ["referenceCount"] = referenceImages.shape[0].ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>A new, untrained classifier (for the program that trains the shipped one).</summary>
    internal static nn.Module<Tensor, Tensor> CreateClassifier() => new FashionMnistClassifier();

    /// <summary>Penultimate features (float64) and class probabilities of every image, in batches.</summary>
    private static (Tensor Features, Tensor Probabilities) Features(FashionMnistClassifier classifier, Tensor images)
    {
        var features = new List<Tensor>();
        var probabilities = new List<Tensor>();
        using (no_grad())
        {
            for (long start = 0; start < images.shape[0]; start += BatchSize)
            {
                long length = Math.Min(BatchSize, images.shape[0] - start);
                (Tensor f, Tensor logits) = classifier.FeaturesAndLogits(images.narrow(0, start, length).to(ScalarType.Float32).cpu());
                features.Add(f.to(ScalarType.Float64));
                probabilities.Add(nn.functional.softmax(logits, 1));
            }
        }

        return (cat(features, 0), cat(probabilities, 0));
    }

    private static Tensor Covariance(Tensor features, Tensor mean)
    {
        Tensor centred = features - mean;
        return centred.t().matmul(centred) / (features.shape[0] - 1);
    }

    /// <summary>d² = ‖μ₁ - μ₂‖² + Tr(Σ₁ + Σ₂ - 2 (Σ₁Σ₂)^½), with Tr (Σ₁Σ₂)^½ = Σ √λ(Σ₁^½ Σ₂ Σ₁^½).</summary>
    private static double FrechetDistance(Tensor mean1, Tensor covariance1, Tensor mean2, Tensor covariance2)
    {
        using var scope = NewDisposeScope();
        Tensor m2 = mean2.to(ScalarType.Float64);
        Tensor c2 = covariance2.to(ScalarType.Float64);
        (Tensor values, Tensor vectors) = linalg.eigh(covariance1);
        Tensor root1 = vectors.matmul(diag(values.clamp_min(0).sqrt())).matmul(vectors.t());
        Tensor product = root1.matmul(c2).matmul(root1);
        Tensor traceRoot = linalg.eigvalsh((product + product.t()) / 2).clamp_min(0).sqrt().sum();
        Tensor distance = (mean1 - m2).square().sum() + covariance1.trace() + c2.trace() - (2 * traceRoot);
        return distance.item<double>();
    }
}
