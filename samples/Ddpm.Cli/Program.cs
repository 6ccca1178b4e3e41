using System.Globalization;
using Ddpm.Cli;
using Spectre.Console;

// ddpm: trains and samples DDPMs with Ddpm.Core. `ddpm --help` lists the commands.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

// Two glibc malloc arenas instead of up to 8 per core: lower peak memory, same speed (docs/benchmarks.md).
// An explicit MALLOC_ARENA_MAX in the environment wins, as glibc read it at start-up.
if (Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is null)
{
    NativeAllocator.LimitArenas();
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops cleanly (training saves a checkpoint); a second one ends the process.
    if (!cancellation.IsCancellationRequested)
    {
        e.Cancel = true;
        cancellation.Cancel();
    }
};

return DdpmCli.Run(args, AnsiConsole.Console, Console.Out, Console.Error, cancellation.Token);
