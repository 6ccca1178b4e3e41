using Ddpm.Core.Data;
using Ddpm.Evaluation;
using Ddpm.Core.Imaging;
using Ddpm.Core.Tests.TestSupport;
using SixLabors.ImageSharp;
using FluentAssertions;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Evaluation;

public sealed class SampleQualityEvaluatorTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "Data", "fashion-mnist");
    private readonly SampleQualityEvaluator _evaluator = SampleQualityEvaluator.Load();

    public void Dispose() => _evaluator.Dispose();

    [Fact]
    public void The_shipped_classifier_recognises_the_test_set()
    {
        _evaluator.ClassifierAccuracy.Should().BeGreaterThan(0.88);
    }

    [Fact]
    public void Real_images_score_near_zero_and_noise_scores_large()
    {
        using Tensor real = Load(2000, out _);
        using Tensor noise = rand(2000, 1, 32, 32) * 2 - 1;

        SampleQuality realScore = _evaluator.Evaluate(real);
        SampleQuality noiseScore = _evaluator.Evaluate(noise);

        output.WriteLine($"real: FD {realScore.FrechetDistance:F3}, entropy {realScore.ClassEntropy:F3}, confidence {realScore.MeanConfidence:F3}, intensity {realScore.MeanIntensity:F3}");
        output.WriteLine($"noise: FD {noiseScore.FrechetDistance:F3}, entropy {noiseScore.ClassEntropy:F3}, confidence {noiseScore.MeanConfidence:F3}, intensity {noiseScore.MeanIntensity:F3}");
        realScore.Count.Should().Be(2000);
        realScore.FrechetDistance.Should().BeLessThan(0.02 * noiseScore.FrechetDistance, "2,000 real test images sit close to the whole test set");
        realScore.ClassEntropy.Should().BeGreaterThan(0.97 * Math.Log(10), "the test set is balanced");
        realScore.ClassHistogram.Sum().Should().BeApproximately(1, 1e-9);
        realScore.MeanConfidence.Should().BeGreaterThan(0.85);
        noiseScore.MeanConfidence.Should().BeLessThan(realScore.MeanConfidence);
        realScore.MeanIntensity.Should().BeInRange(0.20, 0.24, "Fashion-MNIST garments on black, padded to 32x32, average 0.22");
        noiseScore.MeanIntensity.Should().BeApproximately(0.5, 0.01, "uniform noise in [-1, 1] averages mid-grey");
    }

    [Fact]
    public void One_class_alone_has_entropy_near_zero()
    {
        using Tensor images = Load(3000, out int[] labels);
        long[] trousers = Enumerable.Range(0, labels.Length).Where(i => labels[i] == 1).Select(i => (long)i).ToArray();
        using Tensor index = tensor(trousers);
        using Tensor onlyTrousers = images.index_select(0, index);

        SampleQuality score = _evaluator.Evaluate(onlyTrousers);

        score.ClassHistogram[1].Should().BeGreaterThan(0.95);
        score.ClassEntropy.Should().BeLessThan(0.3);
        SampleQuality.ClassNames[1].Should().Be("Trouser");
    }

    [Fact]
    public void A_folder_of_PNGs_scores_as_the_tensor_it_was_written_from()
    {
        using var folder = new TempDirectory();
        using Tensor images = Load(200, out _);
        for (int i = 0; i < 200; i++)
        {
            using Tensor image = images[i];
            using var png = ImageTensors.ToImage(image);
            png.SaveAsPng(folder.File($"{i:D3}.png"));
        }

        SampleQuality fromTensor = _evaluator.Evaluate(images);
        SampleQuality fromFolder = _evaluator.EvaluateFolder(folder.Path);

        fromFolder.Count.Should().Be(200);
        fromFolder.ClassHistogram.Should().Equal(fromTensor.ClassHistogram, (a, b) => Math.Abs(a - b) <= 0.011, "8-bit PNGs keep Fashion-MNIST's 8-bit pixels exactly (a borderline image may flip)");
        fromFolder.FrechetDistance.Should().BeApproximately(fromTensor.FrechetDistance, 0.01 * fromTensor.FrechetDistance);
    }

    [Fact]
    public void A_folder_without_enough_images_is_rejected()
    {
        using var folder = new TempDirectory();
        using Tensor images = Load(1, out _);
        using (Tensor image = images[0])
        using (var png = ImageTensors.ToImage(image))
        {
            png.SaveAsPng(folder.File("only.png"));
        }

        var act = () => _evaluator.EvaluateFolder(folder.Path);
        var missing = () => _evaluator.EvaluateFolder(Path.Combine(folder.Path, "absent"));

        act.Should().Throw<InvalidDataException>().WithMessage("*holds 1 image(s)*at least 2*");
        missing.Should().Throw<DirectoryNotFoundException>();
    }

    [Fact]
    public void Wrong_shapes_are_rejected()
    {
        using Tensor rgb = zeros(4, 3, 32, 32);
        using Tensor small = zeros(4, 1, 28, 28);

        var act1 = () => _evaluator.Evaluate(rgb);
        var act2 = () => _evaluator.Evaluate(small);

        act1.Should().Throw<ArgumentException>().WithMessage("*[N, 1, 32, 32]*");
        act2.Should().Throw<ArgumentException>().WithMessage("*[N, 1, 32, 32]*");
    }

    private static Tensor Load(int count, out int[] labels)
    {
        var dataset = new IdxImageDataset(Path.Combine(Data, "t10k-images-idx3-ubyte.gz"), padTo: 32, maxImages: count, labelsPath: Path.Combine(Data, "t10k-labels-idx1-ubyte.gz"));
        var values = new float[count * 1024];
        for (int i = 0; i < count; i++)
        {
            dataset.CopyImage(i, values.AsSpan(i * 1024, 1024));
        }

        labels = Enumerable.Range(0, count).Select(dataset.GetLabel).ToArray();
        return tensor(values, [count, 1, 32, 32]);
    }
}
