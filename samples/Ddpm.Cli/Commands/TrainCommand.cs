using System.CommandLine;
using Ddpm.Cli.Input;
using Ddpm.Cli.Output;
using Ddpm.Cli.Settings;
using Ddpm.Core;
using Ddpm.Core.Data;
using Ddpm.Core.Kernels;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Training;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using static TorchSharp.torch;

namespace Ddpm.Cli.Commands;

/// <summary><c>ddpm train</c>: trains a model and writes its checkpoint, pictures, loss curve and settings.</summary>
internal static class TrainCommand
{
    private static readonly Option<string?> Data = new("--data") { Description = "A folder of images (searched recursively; the Stanford Cars layout) or an IDX file (.gz or not). Default: the bundled 10,000 Fashion-MNIST training images." };
    private static readonly Option<string?> Out = new("--out") { Description = "Output folder. Default: ddpm-output." };
    private static readonly Option<string?> Preset = new("--preset") { Description = "Starting settings: default (the library's UNet, ~10 min on 2 CPU cores), seed (the notebook: SimpleUNet, 64x64 RGB, batch 128, 100 epochs) or fashion-mnist (the quality bar: 5 epochs at batch 64). Flags and --config override it." };
    private static readonly Option<string?> Config = new("--config") { Description = "A JSON file of settings; keys are these flags without dashes, e.g. { \"batch-size\": 64 }. Overrides --preset; flags override it. options.json of a run is such a file." };
    private static readonly Option<string?> Model = new("--model") { Description = "unet (default) or simple-unet (the notebook's network)." };
    private static readonly Option<string?> UNet = new("--unet") { Description = "UNet size: tiny, small (default), medium, base or large." };
    private static readonly Option<int?> ImageSize = new("--image-size") { Description = "Square image size in pixels. Default: 32 (seed: 64)." };
    private static readonly Option<int?> Channels = new("--channels") { Description = "1 (grayscale) or 3 (RGB). Default: 1 (seed: 3)." };
    private static readonly Option<int?> Epochs = new("--epochs") { Description = "Passes over the data (instead of --steps)." };
    private static readonly Option<long?> Steps = new("--steps") { Description = "Optimiser steps (instead of --epochs). Default: 1200." };
    private static readonly Option<int?> BatchSize = new("--batch-size") { Description = "Images per step. Default: 32 (seed: 128)." };
    private static readonly Option<double?> LearningRate = new("--lr") { Description = "Adam's learning rate. Default: 1e-3." };
    private static readonly Option<string?> LearningRateSchedule = new("--lr-schedule") { Description = "constant (default, the notebook) or cosine (decay to 0 at the last step, after the warm-up)." };
    private static readonly Option<long?> WarmupSteps = new("--warmup-steps") { Description = "Steps of linear learning-rate warm-up from 0. Default: 0." };
    private static readonly Option<double?> EmaMaxDecay = new("--ema-max-decay") { Description = "Largest decay of the moving average of the weights that model.ddpm samples from, 0 to below 1. Default: 0.9999; 0 samples from the trained weights themselves." };
    private static readonly Option<double?> EmaPower = new("--ema-power") { Description = "Power of the average's decay warm-up, 1 - (1 + step)^-power, above 0 and at most 10: the average spans about step^power steps. Default: 0.75 (about 200 steps at the end of a 1,200-step run)." };
    private static readonly Option<string?> Schedule = SharedOptions.Schedule();
    private static readonly Option<int?> Timesteps = SharedOptions.Timesteps();
    private static readonly Option<string?> Loss = new("--loss") { Description = "Loss on the predicted noise: l2 (default, DDPM), l1 (seed: the notebook) or huber." };
    private static readonly Option<string?> Precision = new("--precision") { Description = "Number format of the training step: auto (default: bf16 where the CPU has native bfloat16 and its kernels pass the check, else fp32), fp32 or bf16 (bfloat16 compute, float32 weights). The log says which and why." };
    private static readonly Option<string?> Device = SharedOptions.Device();
    private static readonly Option<int?> Threads = SharedOptions.Threads();
    private static readonly Option<int?> Seed = SharedOptions.Seed();
    private static readonly Option<int?> Samples = new("--samples") { Description = "Images in samples.png. Default: 36." };
    private static readonly Option<string?> Sampler = SharedOptions.Sampler();
    private static readonly Option<int?> SamplingSteps = new("--sampling-steps") { Description = "Reverse steps for samples.png. Default: the sampler's own (20 for dpm++2m, 50 for ddim, T for ddpm)." };
    private static readonly Option<int?> CheckpointInterval = new("--checkpoint-interval") { Description = "Steps between checkpoints. Default: 500." };
    private static readonly Option<string?> Resume = new("--resume") { Description = "Continue a run from a checkpoint file or a checkpoints folder (its newest checkpoint), with the same settings." };
    private static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object with the files written and the run's figures instead of the table (progress and logs stay on standard error)." };

    public static Command Create(CommandRunner runner)
    {
        var command = new Command("train", "Train a DDPM and write checkpoints/, model.ddpm, samples.png, forward.png, denoising.png, loss.png, loss.csv and options.json.")
        {
            Data, Out, Preset, Config, Model, UNet, ImageSize, Channels, Epochs, Steps, BatchSize, LearningRate, LearningRateSchedule, WarmupSteps,
            EmaMaxDecay, EmaPower, Schedule, Timesteps, Loss, Precision, Device, Threads, Seed, Samples, Sampler, SamplingSteps, CheckpointInterval, Resume, Json,
        };
        command.SetAction(parse => runner(parse, cli => Run(cli, Resolve(parse), parse.GetValue(Resume), parse.GetValue(Json))));
        return command;
    }

    /// <summary>Defaults, then --preset, then --config, then the flags.</summary>
    internal static TrainSettings Resolve(ParseResult parse)
    {
        string? presetName = parse.GetValue(Preset);
        RunPreset preset = presetName is null ? RunPreset.Default : CliNames.Parse(CliNames.Presets, presetName, "--preset");
        TrainSettings settings = TrainSettings.For(preset);
        if (parse.GetValue(Config) is string configPath)
        {
            TrainSettingsPatch config = TrainSettingsPatch.Load(configPath);
            config.Validate(key => $"\"{key}\" in {configPath}");
            settings = settings.Apply(config);
        }

        var flags = new TrainSettingsPatch
        {
            Data = parse.GetValue(Data),
            Output = parse.GetValue(Out),
            Model = parse.GetValue(Model),
            UNet = parse.GetValue(UNet),
            ImageSize = parse.GetValue(ImageSize),
            Channels = parse.GetValue(Channels),
            Epochs = parse.GetValue(Epochs),
            Steps = parse.GetValue(Steps),
            BatchSize = parse.GetValue(BatchSize),
            LearningRate = parse.GetValue(LearningRate),
            LearningRateSchedule = parse.GetValue(LearningRateSchedule),
            WarmupSteps = parse.GetValue(WarmupSteps),
            EmaMaxDecay = parse.GetValue(EmaMaxDecay),
            EmaPower = parse.GetValue(EmaPower),
            Schedule = parse.GetValue(Schedule),
            Timesteps = parse.GetValue(Timesteps),
            Loss = parse.GetValue(Loss),
            Precision = parse.GetValue(Precision),
            Device = parse.GetValue(Device),
            Threads = parse.GetValue(Threads),
            Seed = parse.GetValue(Seed),
            Samples = parse.GetValue(Samples),
            Sampler = parse.GetValue(Sampler),
            SamplingSteps = parse.GetValue(SamplingSteps),
            CheckpointInterval = parse.GetValue(CheckpointInterval),
        };
        flags.Validate(key => "--" + key);
        return settings.Apply(flags);
    }

    private static int Run(CliContext cli, TrainSettings settings, string? resume, bool json)
    {
        if (resume is not null && !File.Exists(resume) && !Directory.Exists(resume))
        {
            throw new UsageException($"--resume '{resume}' does not exist; give a checkpoint file or a checkpoints folder.");
        }

        if (settings.SamplingSteps is int samplingSteps && samplingSteps > settings.Timesteps)
        {
            throw new UsageException($"--sampling-steps is {samplingSteps} but T (--timesteps) is {settings.Timesteps}; use at most {settings.Timesteps}.");
        }

        IImageDataset dataset = DatasetLoader.Open(settings.Data, settings.ImageSize, settings.Channels, cli.Logging);
        if (settings.BatchSize > dataset.Count)
        {
            throw new UsageException($"--batch-size is {settings.BatchSize} but the data holds only {dataset.Count} image(s); use at most {dataset.Count}.");
        }

        string output = Path.GetFullPath(settings.Output);
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "options.json"), settings.ToPatch().ToJson());

        DdpmTrainerOptions options = settings.CreateTrainerOptions(Path.Combine(output, "checkpoints"), cli.CpuKernels);
        INetworkConfiguration network = options.Network!;
        var trainer = new DdpmTrainer(
            options,
            cli.Logging.CreateLogger<DdpmTrainer>());

        TextWriter say = cli.Narration(json);
        say.WriteLine($"Training {network} on {dataset.Count:N0} images of {dataset.Shape} ({settings.Data ?? "bundled Fashion-MNIST"}), {(settings.Steps is long s ? $"{s:N0} steps" : $"{settings.Epochs} epochs")} of batch {settings.BatchSize} on {settings.Device}");
        DdpmModel model;
        TrainingPrecisionChoice? precision = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            model = ProgressDisplay.Train(cli, display =>
            {
                var progress = new SynchronousProgress<TrainingProgress>(p =>
                {
                    precision = p.Precision;
                    display.Report(p);
                });
                return resume is null
                    ? trainer.Fit(dataset, progress, cli.Cancellation)
                    : trainer.Fit(dataset, resume, progress, cli.Cancellation);
            });
        }
        catch (TrainingCanceledException e)
        {
            say.WriteLine($"Stopped after step {e.CompletedSteps:N0}. Continue with: ddpm train --config {Path.Combine(output, "options.json")} --resume {Path.Combine(output, "checkpoints")}");
            return ExitCodes.Cancelled;
        }

        TimeSpan training = clock.Elapsed;
        if (precision is not null)
        {
            say.WriteLine($"Trained in {precision.Precision}: {precision.Reason}");
        }

        using (model)
        {
            string modelPath = Path.Combine(output, "model.ddpm");
            model.Save(modelPath);
            Pictures.WriteLoss(model.LossHistory, model.TrainedSteps, output);
            Pictures.WriteForwardStrip(dataset, model.Scheduler, Path.Combine(output, "forward.png"), index: 0, settings.Seed);
            DdpmSamplerOptions samplerOptions = settings.CreateSamplerOptions(Math.Min(settings.Samples, 64));
            samplerOptions.CpuKernels = cli.CpuKernels;
            var sampler = new DdpmSampler(samplerOptions, cli.Logging.CreateLogger<DdpmSampler>());
            using Tensor samples = ProgressDisplay.Sample(cli, progress => Pictures.Sample(
                model, sampler, settings.Samples, Path.Combine(output, "samples.png"), Path.Combine(output, "denoising.png"), progress, cli.Cancellation));

            if (json)
            {
                var summary = new
                {
                    model = modelPath,
                    checkpoints = Path.Combine(output, "checkpoints"),
                    samples = Path.Combine(output, "samples.png"),
                    forward = Path.Combine(output, "forward.png"),
                    denoising = Path.Combine(output, "denoising.png"),
                    loss = Path.Combine(output, "loss.png"),
                    lossCsv = Path.Combine(output, "loss.csv"),
                    options = Path.Combine(output, "options.json"),
                    network = network.ToString(),
                    trainedSteps = model.TrainedSteps,
                    lastLoss = model.LossHistory.Count > 0 ? model.LossHistory[^1] : (float?)null,
                    trainingSeconds = Math.Round(training.TotalSeconds, 2),
                    device = settings.Device,
                    precision = precision?.Precision.ToString(),
                    precisionReason = precision?.Reason,
                    cpuKernels = model.Device.type == TorchSharp.DeviceType.CPU && CpuKernels.Current is { } kernels ? CpuKernels.Name(kernels.Path) : null,
                };
                cli.WriteJson(summary);
                return ExitCodes.Success;
            }

            var table = new Table().AddColumn("Output").AddColumn("What");
            table.AddRow(Markup.Escape(modelPath), $"the trained model ({model.TrainedSteps:N0} steps); ddpm sample --model it");
            table.AddRow(Markup.Escape(Path.Combine(output, "checkpoints")), "resumable checkpoints (--resume)");
            table.AddRow(Markup.Escape(Path.Combine(output, "samples.png")), $"{settings.Samples} samples");
            table.AddRow(Markup.Escape(Path.Combine(output, "forward.png")), "one training image noised at t = 0 ... T-1");
            table.AddRow(Markup.Escape(Path.Combine(output, "denoising.png")), "one sample along the reverse process");
            table.AddRow(Markup.Escape(Path.Combine(output, "loss.png")) + ", loss.csv", "the training loss");
            table.AddRow(Markup.Escape(Path.Combine(output, "options.json")), "the settings (--config reads it)");
            cli.Console.Write(table);
        }

        return ExitCodes.Success;
    }
}
