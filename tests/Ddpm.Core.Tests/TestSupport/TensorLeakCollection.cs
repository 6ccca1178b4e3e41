namespace Ddpm.Core.Tests.TestSupport;

/// <summary>
/// Tests that count live tensors with the process-wide <c>Tensor.TotalCount</c>, or that seed the
/// global generator, run here: xunit runs this collection alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TensorLeakCollection
{
    public const string Name = "Serial: tensor counts and global RNG";
}
