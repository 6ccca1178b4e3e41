namespace Ddpm.Cli;

/// <summary>The exit codes of <c>ddpm</c>.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>The command failed (a device error, a full disk, a diverged run, ...); the message says why.</summary>
    public const int Failure = 1;

    /// <summary>Bad input: a flag, config file, data path or checkpoint that is wrong, missing or damaged; the message names it.</summary>
    public const int Usage = 2;

    /// <summary>Stopped by Ctrl+C (training saved a checkpoint first).</summary>
    public const int Cancelled = 130;
}
