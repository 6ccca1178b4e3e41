using System.CommandLine;
using System.Globalization;
using Ddpm.Cli.Output;
using Ddpm.Core.Kernels;
using Ddpm.Core.Training;
using Spectre.Console;
using static TorchSharp.torch;

namespace Ddpm.Cli.Commands;

/// <summary>
/// <c>ddpm doctor</c>: what this machine gives Ddpm.Core: the CPU, whether it hides its cache topology,
/// the CPU kernel self-check on each path tried, and the path training and sampling will use.
/// </summary>
internal static class DoctorCommand
{
    private static readonly Option<bool> BFloat16 = new("--bf16") { Description = "Also check the bfloat16 kernels that --precision bf16 training uses." };
    private static readonly Option<bool> Cases = new("--cases") { Description = "List every case of the check with its error, not only the failures." };
    private static readonly Option<bool> Json = new("--json") { Description = "Print JSON instead of tables." };

    public static Command Create(CommandRunner runner)
    {
        var command = new Command("doctor", "Check this machine's CPU kernels against float64 and show which path training and sampling use (docs/troubleshooting.md).")
        {
            BFloat16, Cases, Json,
        };
        command.SetAction(parse => runner(parse, cli => Run(cli, parse.GetValue(BFloat16), parse.GetValue(Cases), parse.GetValue(Json))));
        return command;
    }

    private static int Run(CliContext cli, bool bfloat16, bool allCases, bool json)
    {
        // Read before the check: an automatic limit is set in this process's environment.
        string? isaAtStart = Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA");
        CpuKernelSelection? selection = null;
        CpuKernelCheckException? failure = null;
        try
        {
            selection = CpuKernels.Ensure(cli.CpuKernels, bfloat16, cli.Logging.CreateLogger("Ddpm.Core.Kernels"));
        }
        catch (CpuKernelCheckException e)
        {
            failure = e;
        }

        // What --precision auto (the default) trains in here; it may add the bfloat16 cases to the check.
        TrainingPrecisionChoice? precision = selection is null ? null : TrainingPrecisionChoice.Make(TrainingPrecision.Auto, "cpu", cli.CpuKernels, cli.Logging.CreateLogger("Ddpm.Core.Kernels"));
        selection = CpuKernels.Current ?? selection;
        IReadOnlyList<CpuKernelAttempt> attempts = selection?.Attempts ?? failure!.Attempts;
        string torchSharp = PackageVersionAction.Of(typeof(TorchSharp.torch).Assembly, withCommit: false);
        string core = PackageVersionAction.Of(typeof(CpuKernels).Assembly, withCommit: false);
        if (json)
        {
            var report = new
            {
                ddpmCore = core,
                torchSharp,
                cpu = CpuKernels.Cpu,
                cacheTopologyHidden = CpuKernels.CacheTopologyHidden,
                bfloat16Instructions = CpuKernels.BFloat16Instructions,
                logicalCores = Environment.ProcessorCount,
                chartFonts = LossPlot.HasFonts,
                threads = get_num_threads(),
                onednnMaxCpuIsa = isaAtStart,
                ddpmCpuKernels = Environment.GetEnvironmentVariable(CpuKernels.EnvironmentVariable),
                path = selection is null ? null : CpuKernels.Name(selection.Path),
                reason = selection?.Reason ?? failure!.Message,
                precision = precision?.Precision.ToString(),
                precisionReason = precision?.Reason,
                attempts = attempts.Select(a => new
                {
                    path = CpuKernels.Name(a.Path),
                    passed = a.Passed,
                    unusable = a.Unusable,
                    milliseconds = a.Check is null ? (double?)null : Math.Round(a.Check.Duration.TotalMilliseconds),
                    cases = a.Check?.Cases.Where(c => allCases || !c.Passed).Select(c => new { name = c.Name, error = double.IsFinite(c.Error) ? c.Error : (double?)null, tolerance = c.Tolerance, passed = c.Passed }),
                }),
            };
            cli.WriteJson(report);
            return selection is null ? ExitCodes.Failure : ExitCodes.Success;
        }

        var machine = new Table().AddColumn("Machine").AddColumn("Value");
        void Row(string field, string? value) => machine.AddRow(Markup.Escape(field), Markup.Escape(value ?? "-"));
        Row("Ddpm.Core / TorchSharp", $"{core} / {torchSharp}");
        Row("CPU", $"{CpuKernels.Cpu}, {Environment.ProcessorCount} logical cores, libtorch uses {get_num_threads()} threads");
        Row("Cache topology (CPUID)", CpuKernels.CacheTopologyHidden ? "hidden (leaf 0x8000001D reads zeros): oneDNN's AVX and wider kernels are not trusted" : "reported");
        Row("bfloat16 instructions", CpuKernels.BFloat16Instructions ?? "none (bfloat16 is emulated, slower than float32)");
        Row("ONEDNN_MAX_CPU_ISA at start", isaAtStart);
        Row(CpuKernels.EnvironmentVariable, Environment.GetEnvironmentVariable(CpuKernels.EnvironmentVariable));
        Row("Fonts for loss.png", LossPlot.HasFonts ? "found" : LossPlot.NoFontsAdvice);
        cli.Console.Write(machine);

        var checks = new Table().AddColumn("Path tried").AddColumn("Kernel check");
        foreach (CpuKernelAttempt attempt in attempts)
        {
            string outcome = attempt.Check is null ? $"not usable: {attempt.Unusable}" : attempt.Check.ToString();
            checks.AddRow(Markup.Escape(CpuKernels.Describe(attempt.Path)), (attempt.Passed ? "[green]passed[/] " : "[red]failed[/] ") + Markup.Escape(outcome));
        }

        cli.Console.Write(checks);
        if (allCases && attempts[^1].Check is CpuKernelCheckResult last)
        {
            var cases = new Table().AddColumn("Case").AddColumn(new TableColumn("Relative error").RightAligned()).AddColumn(new TableColumn("Tolerance").RightAligned());
            foreach (CpuKernelCaseResult c in last.Cases)
            {
                string error = double.IsFinite(c.Error) ? c.Error.ToString("E1", CultureInfo.InvariantCulture) : "NaN/inf";
                cases.AddRow(Markup.Escape(c.Name), c.Passed ? error : $"[red]{error}[/]", c.Tolerance.ToString("G1", CultureInfo.InvariantCulture));
            }

            cli.Console.Write(cases);
        }

        if (selection is null)
        {
            cli.Error.WriteLine($"ddpm: {failure!.Message}");
            return ExitCodes.Failure;
        }

        cli.Console.MarkupLine($"Training and sampling on the CPU use [bold]{Markup.Escape(CpuKernels.Describe(selection.Path))}[/]: {Markup.Escape(selection.Reason)}");
        cli.Console.MarkupLine($"Training with --precision auto (the default) computes in [bold]{precision!.Precision}[/], {Markup.Escape(precision.Reason)}.");
        return ExitCodes.Success;
    }
}
