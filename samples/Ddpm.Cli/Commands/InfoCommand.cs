using System.CommandLine;
using Ddpm.Cli.Input;
using Ddpm.Core.Checkpoints;
using Spectre.Console;

namespace Ddpm.Cli.Commands;

/// <summary><c>ddpm info</c>: what a checkpoint holds, without loading its weights.</summary>
internal static class InfoCommand
{
    private static readonly Argument<string> Checkpoint = new("checkpoint") { Description = "A model or checkpoint file, or the folder ddpm train wrote." };
    private static readonly Option<bool> Json = new("--json") { Description = "Print JSON instead of a table." };

    public static Command Create(CommandRunner runner)
    {
        var command = new Command("info", "Show what a checkpoint holds: network, parameters, image shape, schedule, steps trained and the training options.")
        {
            Checkpoint, Json,
        };
        command.SetAction(parse => runner(parse, cli =>
        {
            CheckpointInfo info = CheckpointInfo.Read(ModelLocator.Resolve(parse.GetValue(Checkpoint)!, "The checkpoint"));
            if (parse.GetValue(Json))
            {
                cli.WriteJson(info);
                return ExitCodes.Success;
            }

            var table = new Table().AddColumn("Field").AddColumn("Value");
            void Row(string field, object? value) => table.AddRow(Markup.Escape(field), Markup.Escape(value?.ToString() ?? "-"));
            Row("File", info.Path);
            Row("Kind", info.Kind == "training" ? "training checkpoint (resumable)" : "saved model");
            Row("Written by", $"Ddpm.Core {info.Library} on {info.Created:u}");
            Row("Network", info.Network);
            Row("Parameters", info.ParameterCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            Row("Image shape", info.ImageShape);
            Row("Prediction", info.Prediction);
            Row("Classes", info.ClassNames.Count == 0 ? "none (unconditional)" : string.Join(", ", info.ClassNames));
            Row("Schedule", $"{info.Schedule}, T = {info.Timesteps}");
            Row("Steps trained", info.TrainedSteps.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            Row("EMA weights", info.HasEma ? "yes" : "no");
            if (info.Training is TrainingCheckpointInfo training)
            {
                Row("Run", $"step {training.Step:N0} of {training.TotalSteps:N0}, epoch {training.Epoch}, seed {training.Seed}, smoothed loss {training.SmoothedLoss:F4}, {training.Optimizer}");
                Row("Precision", training.Precision ?? "not recorded (written before Ddpm.Core recorded it; see Options)");
                Row("Options", training.OptionsJson);
            }

            Row("Sections", string.Join(", ", info.Sections));
            cli.Console.Write(table);
            return ExitCodes.Success;
        }));
        return command;
    }
}
