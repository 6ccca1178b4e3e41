using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ddpm.Cli.Settings;
using Ddpm.Core;
using Ddpm.Core.Data;
using Ddpm.Core.Sampling;
using Ddpm.Core.Training;
using Spectre.Console;
using static TorchSharp.torch;

namespace Ddpm.Cli.Commands;

/// <summary>
/// <c>ddpm bench</c>: training images/s, sampling images/s for DDPM and DDIM and the peak process
/// memory, for one network and size, each throughput the median of timed steps after warm-up.
/// </summary>
internal static class BenchCommand
{
    private const int WarmupSteps = 3;
    private static readonly Option<string> Model = new("--model") { Description = "unet or simple-unet.", DefaultValueFactory = _ => "unet" };
    private static readonly Option<string> UNet = new("--unet") { Description = "UNet size: tiny, small, medium, base or large.", DefaultValueFactory = _ => "small" };
    private static readonly Option<int> ImageSize = new("--image-size") { Description = "Square image size in pixels.", DefaultValueFactory = _ => 32 };
    private static readonly Option<int> Channels = new("--channels") { Description = "1 or 3.", DefaultValueFactory = _ => 1 };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Images per training step and per sampling batch.", DefaultValueFactory = _ => 32 };
    private static readonly Option<int> Steps = new("--steps") { Description = "Timed steps of each kind (after 3 warm-up steps).", DefaultValueFactory = _ => 10 };
    private static readonly Option<int?> Timesteps = SharedOptions.Timesteps();
    private static readonly Option<string?> Device = SharedOptions.Device();
    private static readonly Option<int?> Threads = SharedOptions.Threads();
    private static readonly Option<string> Precision = new("--precision") { Description = "Training's number format: auto (default, as ddpm train chooses), fp32 or bf16 (bfloat16 compute, float32 weights; training only).", DefaultValueFactory = _ => "auto" };
    private static readonly Option<bool> Json = new("--json") { Description = "Print JSON instead of a table." };

    public static Command Create(CommandRunner runner)
    {
        var command = new Command("bench", "Measure training images/s, DDPM and DDIM sampling images/s and peak memory for one network (medians of timed steps).")
        {
            Model, UNet, ImageSize, Channels, BatchSize, Steps, Timesteps, Device, Threads, Precision, Json,
        };
        command.SetAction(parse => runner(parse, cli => Run(cli, parse)));
        return command;
    }

    private static int Run(CliContext cli, ParseResult parse)
    {
        var patch = new TrainSettingsPatch
        {
            Model = parse.GetValue(Model),
            UNet = parse.GetValue(UNet),
            ImageSize = parse.GetValue(ImageSize),
            Channels = parse.GetValue(Channels),
            BatchSize = parse.GetValue(BatchSize),
            Timesteps = parse.GetValue(Timesteps) ?? (parse.GetValue(Model) == "simple-unet" ? SharedOptions.NotebookTimesteps : SharedOptions.DefaultTimesteps),
            Device = parse.GetValue(Device),
            Threads = parse.GetValue(Threads),
            Precision = parse.GetValue(Precision),
        };
        patch.Validate(key => "--" + key);
        int steps = parse.GetValue(Steps);
        if (steps is < 1 or > 10_000)
        {
            throw new UsageException($"--steps is {steps}; use a whole number from 1 to 10,000.");
        }

        TrainSettings settings = new TrainSettings().Apply(patch);
        TrainingPrecision precision = TrainingPrecisionChoice.Make(settings.Precision, settings.Device, cli.CpuKernels).Precision;
        string precisionName = CliNames.Name(CliNames.Precisions, precision);
        var shape = new ImageShape(settings.Channels, settings.ImageSize, settings.ImageSize);
        using Tensor images = rand(2 * settings.BatchSize, shape.Channels, shape.Height, shape.Width) * 2 - 1;
        var trainer = new DdpmTrainer(new DdpmTrainerOptions
        {
            Network = settings.CreateNetwork(),
            MaxSteps = WarmupSteps + steps,
            BatchSize = settings.BatchSize,
            Timesteps = settings.Timesteps,
            Device = settings.Device,
            Threads = settings.Threads,
            Precision = precision,
            CpuKernels = cli.CpuKernels,
            Seed = 0,
        });

        var trainTimes = new List<TimeSpan>();
        using DdpmModel model = trainer.Fit(new InMemoryImageDataset(images), new SynchronousProgress<TrainingProgress>(p => trainTimes.Add(p.Elapsed)), cli.Cancellation);
        double trainImagesPerSecond = settings.BatchSize / MedianStep(trainTimes);
        double ddpmStep = SamplingStep(model, SamplingMethod.Ddpm, settings.BatchSize, steps, settings.Threads, cli.Cancellation);
        double ddimStep = SamplingStep(model, SamplingMethod.Ddim, settings.BatchSize, steps, settings.Threads, cli.Cancellation);
        int ddimSteps = SamplingDefaults.Steps(SamplingMethod.Ddim, settings.Timesteps);
        var result = new BenchResult(
            model.Configuration?.ToString() ?? "network",
            model.ParameterCount,
            shape.ToString(),
            settings.BatchSize,
            settings.Device,
            precisionName,
            trainImagesPerSecond,
            settings.BatchSize / (ddpmStep * settings.Timesteps),
            settings.BatchSize / (ddimStep * ddimSteps),
            settings.Timesteps,
            ddimSteps,
            Math.Round(PeakMemoryBytes() / 1048576.0, 1));

        if (parse.GetValue(Json))
        {
            cli.WriteJson(result, JsonNamingPolicy.CamelCase);
            return ExitCodes.Success;
        }

        var table = new Table().AddColumn("Measure").AddColumn(new TableColumn("Value").RightAligned());
        table.AddRow("Network", Markup.Escape($"{result.Network} ({result.Parameters:N0} parameters)"));
        table.AddRow("Images", Markup.Escape($"{result.Shape}, batch {result.BatchSize}, {result.Device}, {result.Precision}"));
        table.AddRow("Training", $"{result.TrainImagesPerSecond:F1} images/s");
        table.AddRow($"Sampling, DDPM ({result.Timesteps} steps)", $"{result.DdpmImagesPerSecond:F2} images/s");
        table.AddRow($"Sampling, DDIM ({result.DdimSteps} steps)", $"{result.DdimImagesPerSecond:F2} images/s");
        table.AddRow("Peak process memory", $"{result.PeakMemoryMiB:F0} MiB");
        cli.Console.Write(table);
        return ExitCodes.Success;
    }

    /// <summary>The median seconds of one reverse step, from <paramref name="steps"/> timed steps after warm-up.</summary>
    private static double SamplingStep(DdpmModel model, SamplingMethod method, int batch, int steps, int? threads, CancellationToken cancellation)
    {
        var times = new List<TimeSpan>();
        var sampler = new DdpmSampler(new DdpmSamplerOptions
        {
            Method = method,
            Steps = Math.Min(model.Scheduler.Timesteps, WarmupSteps + steps),
            Seed = 0,
            BatchSize = batch,
            Device = model.Device.ToString(),
            Threads = threads,
        });
        using Tensor images = sampler.Sample(model, batch, progress: new SynchronousProgress<SamplingProgress>(p => times.Add(p.Elapsed)), cancellationToken: cancellation);
        return MedianStep(times);
    }

    private static double MedianStep(List<TimeSpan> elapsed)
    {
        double[] steps = elapsed.Zip(elapsed.Skip(1), (a, b) => (b - a).TotalSeconds).Skip(WarmupSteps - 1).Order().ToArray();
        if (steps.Length == 0)
        {
            steps = [elapsed[^1].TotalSeconds / elapsed.Count];
        }

        return steps.Length % 2 == 1 ? steps[steps.Length / 2] : (steps[(steps.Length / 2) - 1] + steps[steps.Length / 2]) / 2;
    }

    /// <summary>The process's peak resident memory: VmHWM on Linux, the peak working set elsewhere.</summary>
    private static long PeakMemoryBytes()
    {
        const string Status = "/proc/self/status";
        if (File.Exists(Status))
        {
            foreach (string line in File.ReadLines(Status))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }

        return Process.GetCurrentProcess().PeakWorkingSet64;
    }

    private sealed record BenchResult(
        string Network,
        long Parameters,
        string Shape,
        int BatchSize,
        string Device,
        string Precision,
        double TrainImagesPerSecond,
        double DdpmImagesPerSecond,
        double DdimImagesPerSecond,
        int Timesteps,
        int DdimSteps,
        double PeakMemoryMiB);
}
