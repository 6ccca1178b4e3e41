using System.Diagnostics;
using Ddpm.Core.Data;
using Ddpm.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary>
/// Trains the Fashion-MNIST classifier that <see cref="SampleQualityEvaluator"/> ships with, on the
/// real training split (Debian's dataset-fashion-mnist), and writes it with the test-set feature
/// statistics to src/Ddpm.Evaluation/fashion-mnist-classifier.safetensors.
/// </summary>
internal static class ClassifierTraining
{
    public static int Run(string data, string output, int epochs)
    {
        manual_seed(0);
        var train = new IdxImageDataset(Path.Combine(data, "train-images-idx3-ubyte.gz"), padTo: 32, labelsPath: Path.Combine(data, "train-labels-idx1-ubyte.gz"));
        var test = new IdxImageDataset(Path.Combine(data, "t10k-images-idx3-ubyte.gz"), padTo: 32, labelsPath: Path.Combine(data, "t10k-labels-idx1-ubyte.gz"));
        (Tensor trainImages, Tensor trainLabels) = Load(train);
        (Tensor testImages, Tensor testLabels) = Load(test);
        using nn.Module<Tensor, Tensor> classifier = SampleQualityEvaluator.CreateClassifier();
        var optimizer = optim.Adam(classifier.parameters(), 1e-3);
        var random = new Random(0);
        var clock = Stopwatch.StartNew();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            classifier.train();
            int[] order = Enumerable.Range(0, train.Count).OrderBy(_ => random.Next()).ToArray();
            double total = 0;
            int batches = 0;
            for (int start = 0; start + 128 <= order.Length; start += 128)
            {
                using var scope = NewDisposeScope();
                Tensor index = tensor(order.AsSpan(start, 128).ToArray().Select(i => (long)i).ToArray());
                Tensor x = trainImages.index_select(0, index);

                // Random horizontal flips, as the generators see them.
                Tensor flip = rand(128) < 0.5;
                x = where(flip.view(-1, 1, 1, 1), x.flip(3), x);
                Tensor loss = nn.functional.cross_entropy(classifier.call(x), trainLabels.index_select(0, index));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                total += loss.item<float>();
                batches++;
            }

            Console.WriteLine($"epoch {epoch + 1}/{epochs}: loss {total / batches:F4}, test accuracy {Accuracy(classifier, testImages, testLabels):P2}, {clock.Elapsed:mm\\:ss}");
        }

        double accuracy = Accuracy(classifier, testImages, testLabels);
        SampleQualityEvaluator.WriteReference(output, classifier, testImages, accuracy);
        Console.WriteLine($"Wrote {output}: test accuracy {accuracy:P2}");
        return 0;
    }

    private static (Tensor Images, Tensor Labels) Load(IdxImageDataset dataset)
    {
        var values = new float[dataset.Count * dataset.Shape.ElementCount];
        for (int i = 0; i < dataset.Count; i++)
        {
            dataset.CopyImage(i, values.AsSpan(i * dataset.Shape.ElementCount, dataset.Shape.ElementCount));
        }

        long[] labels = Enumerable.Range(0, dataset.Count).Select(i => (long)dataset.GetLabel(i)).ToArray();
        return (tensor(values, [dataset.Count, 1, 32, 32]), tensor(labels));
    }

    private static double Accuracy(nn.Module<Tensor, Tensor> classifier, Tensor images, Tensor labels)
    {
        classifier.eval();
        using var noGrad = no_grad();
        long correct = 0;
        for (long start = 0; start < images.shape[0]; start += 1000)
        {
            using var scope = NewDisposeScope();
            long length = Math.Min(1000, images.shape[0] - start);
            correct += classifier.call(images.narrow(0, start, length)).argmax(1).eq(labels.narrow(0, start, length)).sum().item<long>();
        }

        return (double)correct / images.shape[0];
    }
}
