using System.CommandLine;
using Ddpm.Cli.Input;
using Ddpm.Cli.Output;
using Ddpm.Cli.Settings;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Spectre.Console;

namespace Ddpm.Cli.Commands;

/// <summary><c>ddpm forward</c>: the notebook's forward-noising strip of one image, without training.</summary>
internal static class ForwardCommand
{
    private static readonly Option<string?> Data = new("--data") { Description = "A folder of images or an IDX file. Default: the bundled Fashion-MNIST images." };
    private static readonly Option<string> Out = new("--out") { Description = "The PNG to write.", DefaultValueFactory = _ => "forward.png" };
    private static readonly Option<int> Index = new("--index") { Description = "Which image of the data.", DefaultValueFactory = _ => 0 };
    private static readonly Option<int> ImageSize = new("--image-size") { Description = "Square image size in pixels.", DefaultValueFactory = _ => 32 };
    private static readonly Option<int> Channels = new("--channels") { Description = "1 or 3.", DefaultValueFactory = _ => 1 };
    private static readonly Option<int?> Timesteps = SharedOptions.Timesteps();
    private static readonly Option<string?> Schedule = SharedOptions.Schedule();
    private static readonly Option<int?> Seed = SharedOptions.Seed();

    public static Command Create(CommandRunner runner)
    {
        var command = new Command("forward", "Write the forward-noising strip: one image noised at 10 evenly spaced t from 0 to T-1.")
        {
            Data, Out, Index, ImageSize, Channels, Timesteps, Schedule, Seed,
        };
        command.SetAction(parse => runner(parse, cli => Run(cli, parse)));
        return command;
    }

    private static int Run(CliContext cli, ParseResult parse)
    {
        var patch = new TrainSettingsPatch
        {
            Data = parse.GetValue(Data),
            ImageSize = parse.GetValue(ImageSize),
            Channels = parse.GetValue(Channels),
            Timesteps = parse.GetValue(Timesteps),
            Schedule = parse.GetValue(Schedule),
            Seed = parse.GetValue(Seed),
        };
        patch.Validate(key => "--" + key);
        TrainSettings settings = new TrainSettings().Apply(patch);
        IImageDataset dataset = DatasetLoader.Open(settings.Data, settings.ImageSize, settings.Channels, cli.Logging);
        int index = parse.GetValue(Index);
        if (index < 0 || index >= dataset.Count)
        {
            throw new UsageException($"--index is {index}; the data holds {dataset.Count} image(s), so use 0 to {dataset.Count - 1}.");
        }

        using var scheduler = new NoiseScheduler(settings.CreateSchedule(), settings.Timesteps);
        string path = Path.GetFullPath(parse.GetValue(Out)!);
        Pictures.WriteForwardStrip(dataset, scheduler, path, index, settings.Seed);
        cli.Console.WriteLine($"Wrote {path}");
        return ExitCodes.Success;
    }
}
