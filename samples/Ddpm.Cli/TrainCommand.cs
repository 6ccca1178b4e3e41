using Ddpm.Core;
using Ddpm.Core.Data;
using Ddpm.Core.Imaging;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Training;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Cli;

/// <summary><c>ddpm train</c>: trains a small model and writes its pictures.</summary>
internal static class TrainCommand
{
    private const int StripLength = 10;

    public static int Run(TrainArguments arguments, ILoggerFactory logging)
    {
        ILogger logger = logging.CreateLogger("ddpm");
        IImageDataset dataset = LoadData(arguments, logging);
        Directory.CreateDirectory(arguments.Output);

        var trainer = new DdpmTrainer(
            new DdpmTrainerOptions
            {
                Network = arguments.Model == NetworkChoice.UNet
                    ? arguments.Preset switch
                    {
                        "small" => UNetPresets.Small(dataset.Shape.Channels),
                        "medium" => UNetPresets.Medium(dataset.Shape.Channels),
                        "base" => UNetPresets.Base(dataset.Shape.Channels),
                        "large" => UNetPresets.Large(dataset.Shape.Channels),
                        _ => UNetPresets.Tiny(dataset.Shape.Channels),
                    }

                    // A narrower SimpleUNet than the notebook's (widths 64..1024), so a CPU trains it in minutes.
                    : new SimpleUNetConfiguration { ImageChannels = dataset.Shape.Channels, DownChannels = [32, 64, 128, 256], TimeEmbeddingDim = 32 },
                MaxSteps = arguments.Steps,
                BatchSize = Math.Min(arguments.BatchSize, dataset.Count),
                Device = arguments.Device,
                Seed = arguments.Seed,
                LogInterval = 100,

                // A checkpoint every 250 steps, at the end and on Ctrl+C.
                CheckpointDirectory = Path.Combine(arguments.Output, "checkpoints"),
                CheckpointInterval = 250,
            },
            logging.CreateLogger<DdpmTrainer>());

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        using DdpmModel model = trainer.Fit(dataset, cancellationToken: cancellation.Token);
        WriteForwardStrip(model, dataset, Path.Combine(arguments.Output, "forward.png"), arguments.Seed);

        // SimpleUNet's BatchNorm pools statistics over all timesteps; sampling with batch statistics
        // (what the notebook does) gives recognisable images where eval mode gives none. The UNet has
        // no BatchNorm and samples well with DDIM in 50 steps.
        var samplerOptions = arguments.Model == NetworkChoice.UNet
            ? new DdpmSamplerOptions { Seed = arguments.Seed, BatchSize = arguments.SampleCount, Method = SamplingMethod.Ddim, Steps = 50, ClampEachStep = false, ClipPredictedSample = true }
            : new DdpmSamplerOptions { Seed = arguments.Seed, BatchSize = arguments.SampleCount, BatchNormMode = BatchNormMode.BatchStatistics };
        var sampler = new DdpmSampler(samplerOptions, logging.CreateLogger<DdpmSampler>());
        int[] visited = sampler.GetTimesteps(model.Scheduler.Timesteps);
        var shownSteps = new HashSet<int>(Enumerable.Range(0, StripLength).Select(i => visited[(visited.Length - 1) * i / (StripLength - 1)]));
        var progression = new List<Tensor>();
        using Tensor samples = sampler.Sample(model, arguments.SampleCount, step =>
        {
            if (step.BatchIndex == 0 && shownSteps.Contains(step.Timestep))
            {
                progression.Add(step.Sample[0].cpu().clone());
            }
        });

        string samplesPath = Path.Combine(arguments.Output, "samples.png");
        string denoisingPath = Path.Combine(arguments.Output, "denoising.png");
        ImageGrid.SavePng(samples, samplesPath);
        using (Tensor strip = stack(progression))
        {
            ImageGrid.SavePng(strip, denoisingPath, columns: progression.Count);
        }

        progression.ForEach(t => t.Dispose());
        logger.LogInformation(
            "Wrote {Samples}, {Forward} and {Denoising}; the model is in {Checkpoints}",
            samplesPath, Path.Combine(arguments.Output, "forward.png"), denoisingPath, Path.Combine(arguments.Output, "checkpoints"));
        return 0;
    }

    private static IImageDataset LoadData(TrainArguments arguments, ILoggerFactory logging)
    {
        string path = arguments.Data ?? Path.Combine(AppContext.BaseDirectory, "Data", "t10k-images-idx3-ubyte.gz");
        if (Directory.Exists(path))
        {
            return new ImageFolderDataset(path, new ImageFolderDatasetOptions { ImageSize = arguments.ImageSize }, logging.CreateLogger<ImageFolderDataset>());
        }

        if (File.Exists(path))
        {
            return new IdxImageDataset(path, imageSize: arguments.ImageSize);
        }

        throw new ArgumentException($"--data '{path}' is neither a folder nor a file.");
    }

    /// <summary>The notebook's forward-noising strip: one training image at evenly spaced t.</summary>
    private static void WriteForwardStrip(DdpmModel model, IImageDataset dataset, string path, int seed)
    {
        using var scope = NewDisposeScope();
        var pixels = new float[dataset.Shape.ElementCount];
        dataset.CopyImage(0, pixels);
        Tensor x0 = tensor(pixels, [1, dataset.Shape.Channels, dataset.Shape.Height, dataset.Shape.Width]);
        int timesteps = model.Scheduler.Timesteps;
        long[] steps = Enumerable.Range(0, StripLength).Select(i => (long)((timesteps - 1) * i / (StripLength - 1))).ToArray();
        using var generator = new Generator((ulong)seed);
        Tensor batch = x0.expand(steps.Length, -1, -1, -1).to(model.Device);
        using var noised = model.Scheduler.AddNoise(batch, tensor(steps, device: model.Device), generator: model.Device.type == DeviceType.CPU ? generator : null);
        ImageGrid.SavePng(noised.NoisySample.clamp(-1, 1), path, columns: steps.Length);
    }
}
