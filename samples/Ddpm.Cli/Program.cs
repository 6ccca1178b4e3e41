using System.Globalization;
using Ddpm.Cli;
using Spectre.Console;

// ddpm: trains and samples DDPMs with Ddpm.Core. `ddpm --help` lists the commands.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

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
