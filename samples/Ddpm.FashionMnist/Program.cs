using System.Globalization;
using Ddpm.FashionMnist;
using Microsoft.Extensions.Logging;

// fashion-mnist-bar: the Fashion-MNIST quality bar of docs/evaluation.md.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args is ["-h" or "--help"])
{
    Console.WriteLine(BarArguments.Usage);
    return 0;
}

BarArguments arguments;
try
{
    arguments = BarArguments.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"{e.Message}\n\n{BarArguments.Usage}");
    return 2;
}

using ILoggerFactory logging = LoggerFactory.Create(builder => builder
    .AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.TimestampFormat = "HH:mm:ss ";
    })
    .SetMinimumLevel(LogLevel.Information));

try
{
    return QualityBar.Run(arguments, logging);
}
catch (OperationCanceledException e)
{
    Console.Error.WriteLine(e.Message);
    return 130;
}
catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException)
{
    Console.Error.WriteLine($"fashion-mnist-bar: {e.Message}");
    return 1;
}
