using System.CommandLine;
using System.Globalization;
using Ddpm.Cli.Settings;
using Ddpm.Evaluation;
using Ddpm.Core.Kernels;
using Spectre.Console;

namespace Ddpm.Cli.Commands;

/// <summary><c>ddpm eval</c>: scores a folder of Fashion-MNIST-like samples with the library's classifier.</summary>
internal static class EvalCommand
{
    private static readonly Argument<string> Folder = new("folder") { Description = "A folder of 32x32 grayscale samples (PNG, JPEG, ...), e.g. written by ddpm sample --individual." };
    private static readonly Option<bool> Json = new("--json") { Description = "Print JSON instead of a table." };

    public static Command Create(CommandRunner runner)
    {
        var command = new Command("eval", "Score Fashion-MNIST samples: Fréchet distance of a classifier's features against the test set, class shares and their entropy, confidence (docs/evaluation.md).")
        {
            Folder, Json,
        };
        command.SetAction(parse => runner(parse, cli =>
        {
            string folder = parse.GetValue(Folder)!;
            if (!Directory.Exists(folder))
            {
                throw new UsageException($"The folder '{folder}' does not exist; give the folder of sample images.");
            }

            // The path --cpu-kernels asks for, with its warning, before the evaluator's own (automatic) call.
            CpuKernels.Ensure(cli.CpuKernels, logger: cli.Logging.CreateLogger("Ddpm.Core.Kernels"));
            using var evaluator = SampleQualityEvaluator.Load();
            SampleQuality quality = evaluator.EvaluateFolder(folder);
            if (parse.GetValue(Json))
            {
                var json = new
                {
                    count = quality.Count,
                    frechetDistance = quality.FrechetDistance,
                    classEntropy = quality.ClassEntropy,
                    meanConfidence = quality.MeanConfidence,
                    meanIntensity = quality.MeanIntensity,
                    classShares = SampleQuality.ClassNames.Select((name, i) => new { name, share = quality.ClassHistogram[i] }),
                };
                cli.WriteJson(json);
                return ExitCodes.Success;
            }

            cli.Console.WriteLine($"{quality.Count:N0} images: Fréchet distance {quality.FrechetDistance:F2} (real test images ≈ 1, noise ≈ 700), class entropy {quality.ClassEntropy:F3} (ln 10 = {Math.Log(10):F3} for equal shares), mean confidence {quality.MeanConfidence:F3}, mean intensity {quality.MeanIntensity:F3} (real test images 0.220)");
            var table = new Table().AddColumn("Class").AddColumn(new TableColumn("Share").RightAligned());
            for (int i = 0; i < quality.ClassHistogram.Count; i++)
            {
                table.AddRow(Markup.Escape(SampleQuality.ClassNames[i]), quality.ClassHistogram[i].ToString("P1", CultureInfo.InvariantCulture));
            }

            cli.Console.Write(table);
            return ExitCodes.Success;
        }));
        return command;
    }
}
