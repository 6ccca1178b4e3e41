using Ddpm.Cli;
using Microsoft.Extensions.Logging;

// ddpm: trains and samples DDPMs with Ddpm.Core. Exit codes: 0 success, 1 failure, 2 bad arguments, 130 cancelled.
using ILoggerFactory logging = LoggerFactory.Create(builder => builder
    .AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.TimestampFormat = "HH:mm:ss ";
    })
    .SetMinimumLevel(LogLevel.Information));

if (args.Length == 0 || args[0] is "-h" or "--help" || (args.Length > 1 && args[1] is "-h" or "--help"))
{
    Console.WriteLine(TrainArguments.Usage);
    return args.Length == 0 ? 2 : 0;
}

if (args[0] != "train")
{
    Console.Error.WriteLine($"Unknown command '{args[0]}'.\n\n{TrainArguments.Usage}");
    return 2;
}

TrainArguments arguments;
try
{
    arguments = TrainArguments.Parse(args[1..]);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"{e.Message}\n\n{TrainArguments.Usage}");
    return 2;
}

try
{
    return TrainCommand.Run(arguments, logging);
}
catch (OperationCanceledException e)
{
    Console.Error.WriteLine(e.Message);
    return 130;
}
catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException)
{
    Console.Error.WriteLine($"ddpm: {e.Message}");
    return 1;
}
