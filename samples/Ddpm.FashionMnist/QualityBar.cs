using System.Diagnostics;
using System.Globalization;
using System.Text;
using Ddpm.Core;
using Ddpm.Core.Data;
using Ddpm.Evaluation;
using Ddpm.Core.Imaging;
using Ddpm.Core.Sampling;
using Ddpm.Core.Training;
using Microsoft.Extensions.Logging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace Ddpm.FashionMnist;

/// <summary>Trains the default model on Fashion-MNIST, saves it, samples it with the chosen or default sampler, writes the PNGs and scores them.</summary>
internal static class QualityBar
{
    private const string TrainImages = "train-images-idx3-ubyte.gz";
    private const int GridImages = 100;

    public static int Run(BarArguments arguments, ILoggerFactory logging)
    {
        ILogger logger = logging.CreateLogger("fashion-mnist-bar");
        string imagesPath = Path.Combine(arguments.Data, TrainImages);
        if (!File.Exists(imagesPath))
        {
            throw new ArgumentException($"--data '{arguments.Data}' has no {TrainImages}; install Fashion-MNIST with 'apt-get install dataset-fashion-mnist' or pass the folder that holds it.");
        }

        string checkpoints = Path.Combine(arguments.Output, "checkpoints");
        string samplesFolder = Path.Combine(arguments.Output, "samples");
        Directory.CreateDirectory(arguments.Output);

        // 28x28 padded with black to 32x32: every pixel of the data kept exactly.
        var dataset = new IdxImageDataset(imagesPath, padTo: 32);
        var trainer = new DdpmTrainer(TrainerOptions(arguments, checkpoints), logging.CreateLogger<DdpmTrainer>());

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        var trainingClock = Stopwatch.StartNew();
        bool resume = arguments.Resume && Directory.Exists(checkpoints) && Directory.EnumerateFiles(checkpoints, "checkpoint-*.ddpm").Any();
        using DdpmModel model = resume
            ? trainer.Fit(dataset, checkpoints, cancellationToken: cancellation.Token)
            : trainer.Fit(dataset, cancellationToken: cancellation.Token);
        trainingClock.Stop();
        WriteLossCurve(model, Path.Combine(arguments.Output, "loss.csv"));
        string modelPath = Path.Combine(arguments.Output, "model.ddpm");
        model.Save(modelPath);

        var sampler = new DdpmSampler(
            new DdpmSamplerOptions
            {
                // Null follows the library's default for the model (SamplingDefaults).
                Method = arguments.Sampler,
                Steps = arguments.SamplingSteps,
                Seed = arguments.Seed,
                // Batches of 64: on a CPU larger ones run slower per image (cache).
                BatchSize = 64,
                ClipPredictedSample = true,
                ClampEachStep = false,
            },
            logging.CreateLogger<DdpmSampler>());
        var samplingClock = Stopwatch.StartNew();
        using Tensor samples = sampler.Sample(model, arguments.Samples, cancellationToken: cancellation.Token);
        samplingClock.Stop();

        WritePngs(samples, samplesFolder);
        string gridPath = Path.Combine(arguments.Output, "grid.png");
        using (Tensor first = samples.narrow(0, 0, Math.Min(GridImages, arguments.Samples)))
        {
            ImageGrid.SavePng(first, gridPath, columns: 10);
        }

        // Score what an outside evaluator sees: the PNGs, 8-bit quantised, read back from disk.
        using var evaluator = SampleQualityEvaluator.Load();
        SampleQuality quality = evaluator.EvaluateFolder(samplesFolder);
        string samplerName = $"{sampler.MethodFor(model).Name} in {sampler.GetTimesteps(model).Length} steps";
        string report = Report(arguments, model, trainingClock.Elapsed, resume, samplerName, samplingClock.Elapsed, quality);
        File.WriteAllText(Path.Combine(arguments.Output, "report.md"), report);
        Console.WriteLine(report);
        logger.LogInformation("Wrote {Model}, {Count} PNGs to {Folder}, {Grid} and {Report}", modelPath, arguments.Samples, samplesFolder, gridPath, Path.Combine(arguments.Output, "report.md"));
        return 0;
    }

    /// <summary>Writes each sample as an 8-bit grayscale PNG named by its index.</summary>
    private static void WritePngs(Tensor samples, string folder)
    {
        Directory.CreateDirectory(folder);
        int digits = Math.Max(5, samples.shape[0].ToString(CultureInfo.InvariantCulture).Length);
        for (int i = 0; i < samples.shape[0]; i++)
        {
            using Tensor sample = samples[i];
            using Image<Rgb24> rgb = ImageTensors.ToImage(sample);
            using Image<L8> grey = rgb.CloneAs<L8>();
            grey.SaveAsPng(Path.Combine(folder, i.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0') + ".png"));
        }
    }

    private static void WriteLossCurve(DdpmModel model, string path)
    {
        var csv = new StringBuilder("step,loss\n");
        long first = model.TrainedSteps - model.LossHistory.Count + 1;
        for (int i = 0; i < model.LossHistory.Count; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{first + i},{model.LossHistory[i]:G6}\n");
        }

        File.WriteAllText(path, csv.ToString());
    }

    /// <summary>The trainer's options for the bar: the library's defaults plus the recipe's warm-up, cosine decay and checkpoints.</summary>
    internal static DdpmTrainerOptions TrainerOptions(BarArguments arguments, string checkpoints) => new()
    {
        // Network, schedule, T and loss stay the library's defaults: UNetPresets.Small for
        // 1 channel, T = 1000 linear betas, ε-prediction, MSE. The recipe adds a short warm-up
        // and cosine learning-rate decay to 0, which a 5-epoch run needs to settle.
        Epochs = arguments.Epochs,
        // Shorter only for a run cut below 100 steps (--max-steps), which the warm-up must not fill.
        WarmupSteps = arguments.MaxSteps is long cut ? (int)Math.Min(100, cut - 1) : 100,
        LearningRateSchedule = LearningRateSchedule.Cosine,
        MaxSteps = arguments.MaxSteps,
        BatchSize = arguments.BatchSize,
        Device = arguments.Device,
        Seed = arguments.Seed,
        LogInterval = 100,
        CheckpointDirectory = checkpoints,
        CheckpointInterval = 500,
        CheckpointsToKeep = 2,
    };

    private static string Report(BarArguments arguments, DdpmModel model, TimeSpan training, bool resumed, string samplerName, TimeSpan sampling, SampleQuality quality)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Fashion-MNIST quality bar");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- Model: {model.Configuration} ({model.ParameterCount:N0} parameters), {model.TrainedSteps:N0} steps of batch {arguments.BatchSize} on {model.Device} ({Environment.ProcessorCount} logical cores)");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Training: {training:hh\\:mm\\:ss}{(resumed ? " (this process only; the run was resumed)" : string.Empty)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Sampling: {quality.Count:N0} images with {samplerName} in {sampling:hh\\:mm\\:ss}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Fréchet distance (classifier features, vs the 10,000 test images): {quality.FrechetDistance:F2}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Class entropy: {quality.ClassEntropy:F3} nats (ln 10 = {Math.Log(10):F3} for equal shares)");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Mean confidence: {quality.MeanConfidence:F3}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Mean intensity: {quality.MeanIntensity:F3} (real test images: 0.220)");
        text.AppendLine();
        text.AppendLine("| Class | Share |");
        text.AppendLine("| --- | ---: |");
        for (int i = 0; i < quality.ClassHistogram.Count; i++)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {SampleQuality.ClassNames[i]} | {quality.ClassHistogram[i]:P1} |");
        }

        return text.ToString();
    }
}
