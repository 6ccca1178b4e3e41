namespace Ddpm.Cli.Settings;

/// <summary>A bad command line, config file or data path: <c>ddpm</c> prints the message on one line and exits with code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
