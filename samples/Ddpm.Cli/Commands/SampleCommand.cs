using System.CommandLine;
using Ddpm.Cli.Input;
using Ddpm.Cli.Output;
using Ddpm.Cli.Settings;
using Ddpm.Core;
using Ddpm.Core.Sampling;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using static TorchSharp.torch;

namespace Ddpm.Cli.Commands;

/// <summary><c>ddpm sample</c>: draws images from a trained model.</summary>
internal static class SampleCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "A model file (model.ddpm or checkpoint-*.ddpm) or the folder ddpm train wrote.", Required = true };
    private static readonly Option<int> Count = new("--count") { Description = "Images to draw.", DefaultValueFactory = _ => 16 };
    private static readonly Option<string?> Sampler = SharedOptions.Sampler();
    private static readonly Option<int?> Steps = new("--steps") { Description = "Reverse steps. Default: the sampler's own (20 for dpm++2m, 50 for ddim, T for ddpm)." };
    private static readonly Option<string> Spacing = new("--spacing")
    {
        Description = "Which of the T timesteps the steps visit: trailing (default; starts at the pure-noise step), linspace, leading, or karras (Karras et al. 2022, rho = 7, crowded towards low noise).",
        DefaultValueFactory = _ => "trailing",
    };

    private static readonly Option<string> Weights = new("--weights")
    {
        Description = "ema (the moving average of the weights, when the model has one) or network (the trained weights themselves).",
        DefaultValueFactory = _ => "ema",
    };

    private static readonly Option<double> Eta = new("--eta") { Description = "DDIM's eta: 0 deterministic, 1 as noisy as DDPM.", DefaultValueFactory = _ => 0 };
    private static readonly Option<int?> Seed = SharedOptions.Seed();
    private static readonly Option<string> Out = new("--out") { Description = "The grid PNG to write.", DefaultValueFactory = _ => "samples.png" };
    private static readonly Option<string?> Individual = new("--individual") { Description = "Also write each image as its own PNG into this folder." };
    private static readonly Option<string?> Device = SharedOptions.Device();
    private static readonly Option<int?> Threads = SharedOptions.Threads();
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Images sampled at once.", DefaultValueFactory = _ => 64 };
    private static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object with the files written and the settings used instead of lines of text (progress and logs stay on standard error)." };

    public static Command Create(CommandRunner runner)
    {
        var command = new Command("sample", "Draw images from a trained model and write them as a grid (and one PNG each with --individual).")
        {
            Model, Count, Sampler, Steps, Spacing, Weights, Eta, Seed, Out, Individual, Device, Threads, BatchSize, Json,
        };
        command.SetAction(parse => runner(parse, cli => Run(cli, parse)));
        return command;
    }

    private static int Run(CliContext cli, ParseResult parse)
    {
        int count = parse.GetValue(Count);
        int batchSize = parse.GetValue(BatchSize);
        double eta = parse.GetValue(Eta);
        int seed = parse.GetValue(Seed) ?? 0;
        Check(count is >= 1 and <= 1_000_000, $"--count is {count}; use a whole number from 1 to 1,000,000.");
        Check(batchSize is >= 1 and <= 65_536, $"--batch-size is {batchSize}; use a whole number from 1 to 65,536.");
        Check(eta is >= 0 and <= 1, $"--eta is {eta}; use a value from 0 to 1.");
        Check(seed >= 0, $"--seed is {seed}; use a whole number of at least 0.");
        int? threads = parse.GetValue(Threads);
        Check(threads is null or (>= 1 and <= 1024), $"--threads is {threads}; use a whole number from 1 to 1,024.");
        SamplingMethod? sampler = parse.GetValue(Sampler) is string name ? CliNames.Parse(CliNames.Samplers, name, "--sampler") : null;
        string spacingName = parse.GetValue(Spacing)!;
        TimestepSpacing spacing = CliNames.Parse(CliNames.Spacings, spacingName, "--spacing");
        ModelWeights weights = CliNames.Parse(CliNames.Weights, parse.GetValue(Weights)!, "--weights");
        string path = ModelLocator.Resolve(parse.GetValue(Model)!, "--model");
        string device = parse.GetValue(Device) ?? "cpu";

        using DdpmModel model = DdpmModel.Load(path, device);
        int? steps = parse.GetValue(Steps);
        if (steps is int s)
        {
            Check(s >= 1 && s <= model.Scheduler.Timesteps, $"--steps is {s}; the model has T = {model.Scheduler.Timesteps}, so use 1 to {model.Scheduler.Timesteps}.");
        }

        DdpmSamplerOptions options = SamplerOptions.Create(sampler, steps, eta, seed, Math.Min(batchSize, count), device, threads);
        options.CpuKernels = cli.CpuKernels;
        options.Spacing = spacing;
        options.Weights = weights;
        var ddpmSampler = new DdpmSampler(options, cli.Logging.CreateLogger<DdpmSampler>());
        string grid = Path.GetFullPath(parse.GetValue(Out)!);
        bool json = parse.GetValue(Json);

        TextWriter say = cli.Narration(json);
        string methodName = ddpmSampler.MethodFor(model).Name;
        int[] timesteps = ddpmSampler.GetTimesteps(model);
        int stepCount = timesteps.Length;
        say.WriteLine($"Sampling {count} image(s) of {model.ImageShape} from {path} with {methodName.ToUpperInvariant()} in {stepCount} steps ({spacingName} spacing) on {device}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using Tensor images = ProgressDisplay.Sample(cli, progress => Pictures.Sample(model, ddpmSampler, count, grid, null, progress, cli.Cancellation));
        TimeSpan elapsed = clock.Elapsed;
        say.WriteLine($"Wrote {grid}");
        string? individual = null;
        if (parse.GetValue(Individual) is string folder)
        {
            Pictures.WriteIndividual(images, folder);
            individual = Path.GetFullPath(folder);
            say.WriteLine($"Wrote {count} PNG(s) to {individual}");
        }

        if (json)
        {
            var summary = new { model = path, count, grid, individual, sampler = methodName, steps = stepCount, spacing = spacingName, weights = CliNames.Name(CliNames.Weights, model.EmaNetwork is null ? ModelWeights.Trained : weights), timesteps, eta, seed, device, seconds = Math.Round(elapsed.TotalSeconds, 2) };
            cli.WriteJson(summary);
        }

        return ExitCodes.Success;
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new UsageException(message);
        }
    }
}
