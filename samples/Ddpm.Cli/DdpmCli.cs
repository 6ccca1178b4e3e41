using System.CommandLine;
using Ddpm.Cli.Commands;
using Ddpm.Cli.Settings;
using Ddpm.Core.Checkpoints;
using Ddpm.Core.Kernels;
using Ddpm.Core.Training;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace Ddpm.Cli;

/// <summary>
/// The <c>ddpm</c> command line: train, sample, forward, bench, info, eval, import, export and doctor. Exit codes: 0 success,
/// 1 failure, 2 bad arguments (a one-line message naming the flag), 130 cancelled.
/// </summary>
internal static class DdpmCli
{
    /// <summary>Parses and runs one command line.</summary>
    /// <param name="args">The arguments after the program name.</param>
    /// <param name="console">Where results and progress go.</param>
    /// <param name="output">Where help text goes (the console's writer).</param>
    /// <param name="error">Where error messages go.</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    public static int Run(string[] args, IAnsiConsole console, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var verbose = new Option<bool>("--verbose") { Description = "Log what the library does and print stack traces of errors.", Recursive = true };
        var cpuKernels = new Option<string?>("--cpu-kernels")
        {
            Description = "CPU kernels for convolutions: auto, onednn, onednn-avx, onednn-sse41 or onednn-off. Each is checked against float64 first (ddpm doctor shows the check). Default: auto (the DDPM_CPU_KERNELS environment variable, else the fastest path that passes).",
            Recursive = true,
        };
        var root = new RootCommand("ddpm: train and sample denoising diffusion models (DDPM) with Ddpm.Core, on CPU or CUDA.") { verbose, cpuKernels };
        CommandRunner runner = (parse, work) => Guard(parse.GetValue(verbose), parse.GetValue(cpuKernels), console, error, cancellation, work);
        root.Subcommands.Add(TrainCommand.Create(runner));
        root.Subcommands.Add(SampleCommand.Create(runner));
        root.Subcommands.Add(ForwardCommand.Create(runner));
        root.Subcommands.Add(BenchCommand.Create(runner));
        root.Subcommands.Add(InfoCommand.Create(runner));
        root.Subcommands.Add(EvalCommand.Create(runner));
        root.Subcommands.Add(ImportCommand.Create(runner));
        root.Subcommands.Add(ExportCommand.Create(runner));
        root.Subcommands.Add(DoctorCommand.Create(runner));

        // --version names the Ddpm.Core this program was built with, not the entry assembly's version.
        root.Options.OfType<VersionOption>().Single().Action = new PackageVersionAction();

        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            string command = parsed.CommandResult.Command == root ? "ddpm" : $"ddpm {parsed.CommandResult.Command.Name}";
            error.WriteLine($"ddpm: {string.Join(" ", parsed.Errors.Select(e => e.Message))} (see '{command} --help')");
            return ExitCodes.Usage;
        }

        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    private static int Guard(bool verbose, string? cpuKernels, IAnsiConsole console, TextWriter error, CancellationToken cancellation, Func<CliContext, int> work)
    {
        CpuKernelPath kernels = CpuKernelPath.Auto;
        if (cpuKernels is not null && !CpuKernels.TryParse(cpuKernels, out kernels))
        {
            error.WriteLine($"ddpm: --cpu-kernels is '{cpuKernels}'; use auto, onednn, onednn-avx, onednn-sse41 or onednn-off.");
            return ExitCodes.Usage;
        }

        // Logs go to standard error, so standard output holds only results (and --json stays parseable).
        using ILoggerFactory logging = LoggerFactory.Create(builder => builder
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            })
            .SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning));
        try
        {
            // Progress goes to standard error, as the logs do, with the interactivity of the result console.
            IAnsiConsole status = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(error),
                Interactive = console.Profile.Capabilities.Interactive ? InteractionSupport.Yes : InteractionSupport.No,
                Ansi = console.Profile.Capabilities.Ansi ? AnsiSupport.Yes : AnsiSupport.No,
                ColorSystem = console.Profile.Capabilities.ColorSystem == ColorSystem.NoColors ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            });
            return work(new CliContext(console, error, logging, verbose, cancellation, kernels, status));
        }
        catch (UsageException e)
        {
            error.WriteLine($"ddpm: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (OptionsValidationException e)
        {
            error.WriteLine($"ddpm: {string.Join(" ", e.Failures)}");
            return ExitCodes.Usage;
        }
        catch (CheckpointFormatException e)
        {
            // A checkpoint named on the command line that is not one, or is damaged, is bad input like a bad data path.
            error.WriteLine($"ddpm: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("ddpm: cancelled.");
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or InvalidOperationException or TrainingDivergedException or UnauthorizedAccessException)
        {
            // FileNotFoundException and CheckpointWriteException are IOExceptions: their messages name the file and the fault.
            error.WriteLine($"ddpm: {e.Message}");
            if (verbose)
            {
                error.WriteLine(e.ToString());
            }

            return ExitCodes.Failure;
        }
        catch (Exception e) when (!verbose)
        {
            error.WriteLine($"ddpm: unexpected {e.GetType().Name}: {e.Message} (run with --verbose for the stack trace)");
            return ExitCodes.Failure;
        }
    }
}
