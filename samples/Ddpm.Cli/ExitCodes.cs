namespace Ddpm.Cli;

/// <summary>The exit codes of <c>ddpm</c>.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>The command failed (a corrupt checkpoint, a device error, ...); the message says why.</summary>
    public const int Failure = 1;

    /// <summary>A bad flag, config file or data path; the message names it.</summary>
    public const int Usage = 2;

    /// <summary>Stopped by Ctrl+C (training saved a checkpoint first).</summary>
    public const int Cancelled = 130;
}
