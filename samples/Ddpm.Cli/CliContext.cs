using System.Text.Json;
using Ddpm.Core.Kernels;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Ddpm.Cli;

/// <summary>What every command writes to and listens to: the console, the logs, --verbose and Ctrl+C.</summary>
/// <param name="Console">Where results and progress go.</param>
/// <param name="Error">Where one-line errors go.</param>
/// <param name="Logging">The library's logs: warnings only, everything with --verbose.</param>
/// <param name="Verbose">Whether --verbose was given (stack traces for unexpected errors).</param>
/// <param name="Cancellation">Cancelled by Ctrl+C: training saves a checkpoint and stops.</param>
/// <param name="CpuKernels">The CPU kernel path --cpu-kernels asks for; Auto (the default) reads DDPM_CPU_KERNELS and otherwise chooses.</param>
/// <param name="Status">Where progress goes: standard error, so that standard output holds only results and --json stays parseable; null uses <paramref name="Console"/>.</param>
internal sealed record CliContext(IAnsiConsole Console, TextWriter Error, ILoggerFactory Logging, bool Verbose, CancellationToken Cancellation, CpuKernelPath CpuKernels = CpuKernelPath.Auto, IAnsiConsole? Status = null)
{
    /// <summary>Gets the console progress is written to.</summary>
    public IAnsiConsole Progress => Status ?? Console;

    /// <summary>Where a command says what it is doing: standard output, or standard error when --json keeps standard output for the one result.</summary>
    public TextWriter Narration(bool json) => json ? Error : Console.Profile.Out.Writer;

    /// <summary>Writes a --json command's result to standard output as indented JSON.</summary>
    public void WriteJson(object value, JsonNamingPolicy? naming = null) =>
        Console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = naming }));
}
