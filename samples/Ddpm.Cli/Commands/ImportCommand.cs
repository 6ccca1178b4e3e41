using System.CommandLine;
using Ddpm.Cli.Input;
using Ddpm.Cli.Settings;
using Ddpm.Core;
using Ddpm.Core.Checkpoints;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Interop;
using Ddpm.Core.Models;
using Spectre.Console;
using static TorchSharp.torch;

namespace Ddpm.Cli.Commands;

/// <summary><c>ddpm import</c>: a PyTorch or safetensors state_dict into a Ddpm.Core model file.</summary>
internal static class ImportCommand
{
    private static readonly Option<string?> PyTorch = new("--pytorch") { Description = "A torch.save(model.state_dict()) file (.pt, .pth, .bin)." };
    private static readonly Option<string?> SafeTensorsFile = new("--safetensors") { Description = "A .safetensors file." };
    private static readonly Option<string> Out = new("--out") { Description = "The model file to write.", Required = true };
    private static readonly Option<string?> Config = new("--config") { Description = "The model description written beside the weights (NAME.config.json, by ddpm export or train_ddp.py): network, image shape, betas. Found by itself when it lies beside the weights." };
    private static readonly Option<string?> Like = new("--like") { Description = "A model whose network, schedule and image shape the weights belong to (any architecture). Without it: the notebook's SimpleUNet, read off the weights' shapes." };
    private static readonly Option<int> ImageSize = new("--image-size") { Description = "Square image size the weights were trained on (without --like).", DefaultValueFactory = _ => 64 };
    private static readonly Option<int?> Timesteps = SharedOptions.Timesteps();
    private static readonly Option<string?> Schedule = SharedOptions.Schedule();
    private static readonly Option<bool> NonStrict = new("--non-strict") { Description = "Load what fits and report the rest, instead of refusing weights that do not fit exactly." };

    public static Command Create(CommandRunner runner)
    {
        var command = new Command("import", "Turn a PyTorch state_dict (torch.save) or a safetensors file into a model file that sample, info and export read (and DdpmTrainerOptions.FineTuneFrom can start from).")
        {
            PyTorch, SafeTensorsFile, Out, Config, Like, ImageSize, Timesteps, Schedule, NonStrict,
        };
        command.SetAction(parse => runner(parse, cli => Run(cli, parse)));
        return command;
    }

    private static int Run(CliContext cli, ParseResult parse)
    {
        (string source, bool isPyTorch) = (parse.GetValue(PyTorch), parse.GetValue(SafeTensorsFile)) switch
        {
            (string pt, null) => (pt, true),
            (null, string safe) => (safe, false),
            _ => throw new UsageException("Give the weights as --pytorch FILE.pt or --safetensors FILE, one of the two."),
        };
        string output = parse.GetValue(Out)!;
        int size = parse.GetValue(ImageSize);
        int timesteps = parse.GetValue(Timesteps) ?? SharedOptions.NotebookTimesteps;
        if (size is < 8 or > 4096)
        {
            throw new UsageException($"--image-size is {size}; use a size from 8 to 4096.");
        }

        if (timesteps is < 1 or > 100_000)
        {
            throw new UsageException($"--timesteps is {timesteps}; use a number from 1 to 100,000.");
        }

        ScheduleChoice schedule = CliNames.Parse(CliNames.Schedules, parse.GetValue(Schedule) ?? "linear", "--schedule");
        using var scope = NewDisposeScope();
        using StateDict tensors = WeightFiles.Read(source, isPyTorch ? "--pytorch" : "--safetensors", isPyTorch);
        string? like = parse.GetValue(Like);
        string? config = parse.GetValue(Config);
        if (config is not null && like is not null)
        {
            throw new UsageException("Give --config or --like, not both: each describes the network the weights belong to.");
        }

        string beside = ModelDescription.PathFor(source);
        if (config is null && like is null && File.Exists(beside))
        {
            config = beside;
            cli.Console.MarkupLine($"Using the description beside the weights: {Markup.Escape(beside)}");
        }

        if (config is not null)
        {
            if (!File.Exists(config))
            {
                throw new UsageException($"--config '{config}' does not exist; give the NAME.config.json that ddpm export or train_ddp.py wrote beside the weights.");
            }

            return ImportDescribed(cli, source, tensors, config, output);
        }

        DdpmModel model = like is null ? NotebookModel(tensors, size, timesteps, schedule) : DdpmModel.Load(ModelLocator.Resolve(like, "--like"));
        using (model)
        {
            StateDictReport report;
            try
            {
                report = StateDictLoader.Load(model.Network, tensors, strict: !parse.GetValue(NonStrict));
                if (model.EmaNetwork is not null)
                {
                    // Imported weights are the weights to sample with: the EMA copy takes them too.
                    StateDictLoader.Load(model.EmaNetwork, tensors, strict: false);
                }
            }
            catch (InvalidDataException e)
            {
                throw new UsageException($"{source}: {e.Message}");
            }

            model.Save(output);
            cli.Console.MarkupLine($"Imported {Markup.Escape(source)} into {Markup.Escape(output)}: {Markup.Escape(model.Configuration?.ToString() ?? model.Network.GetType().Name)}, {model.ImageShape}, T = {model.Scheduler.Timesteps}.");
            cli.Console.MarkupLine(Markup.Escape(report.ToString()));
        }

        return ExitCodes.Success;
    }

    /// <summary>A model built from its description and the weights, loaded strictly (the description names the exact network).</summary>
    private static int ImportDescribed(CliContext cli, string source, StateDict tensors, string config, string output)
    {
        ModelDescription description;
        try
        {
            description = ModelDescription.Read(config);
        }
        catch (CheckpointFormatException e)
        {
            throw new UsageException($"--config: {e.Message}");
        }

        DdpmModel model;
        try
        {
            model = DdpmModel.FromWeights(description, tensors);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"{source} does not fit the network {config} describes ({description.Network}): {e.Message}");
        }

        using (model)
        {
            model.Save(output);
            cli.Console.MarkupLine($"Imported {Markup.Escape(source)} into {Markup.Escape(output)}: {Markup.Escape(description.Network.ToString() ?? description.Network.Architecture)}, {model.ImageShape}, T = {model.Scheduler.Timesteps} ({Markup.Escape(description.Schedule)}), {model.TrainedSteps:N0} steps, every tensor matched.");
        }

        return ExitCodes.Success;
    }

    private static DdpmModel NotebookModel(IReadOnlyDictionary<string, Tensor> tensors, int size, int timesteps, ScheduleChoice schedule)
    {
        SimpleUNetConfiguration configuration;
        try
        {
            configuration = SimpleUNetConfiguration.FromStateDict(tensors);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"{e.Message} For another architecture, pass --like MODEL.ddpm.");
        }

        var shape = new ImageShape(configuration.ImageChannels, size, size);
        try
        {
            configuration.Validate(shape);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--image-size {size} does not fit {configuration}: {e.Message}");
        }

        return new DdpmModel(configuration.CreateNetwork(), new NoiseScheduler(schedule.ToSchedule(), timesteps), shape, configuration);
    }
}
