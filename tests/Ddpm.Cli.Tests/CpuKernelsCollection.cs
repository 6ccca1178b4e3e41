namespace Ddpm.Cli.Tests;

/// <summary>Tests that switch the process-wide CPU kernel path run here, alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CpuKernelsCollection
{
    public const string Name = "Serial: process-wide CPU kernel path";
}
