using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;

namespace Ddpm.Core.Tests.Fuzzing;

/// <summary>A few hundred corrupted files per run (ddpm-benchmarks fuzz runs thousands): only documented exceptions come out.</summary>
[Collection(TensorLeakCollection.Name)]
public sealed class InputFuzzingTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(FuzzTarget.ImageFolder, 300, 2026)]
    [InlineData(FuzzTarget.Idx, 300, 2026)]
    [InlineData(FuzzTarget.Checkpoint, 150, 2026)]
    [InlineData(FuzzTarget.SafeTensors, 200, 2026)]
    [InlineData(FuzzTarget.PyTorch, 200, 2026)]

    // Seed 1 reaches cases 481, 526 and 734, where a damaged zip record once escaped as EndOfStreamException.
    [InlineData(FuzzTarget.PyTorch, 750, 1)]
    internal void Corrupted_files_load_or_raise_only_the_documented_exception(FuzzTarget target, int cases, int seed)
    {
        FuzzReport report = InputFuzzer.Run(target, cases, seed, Path.Combine(_folder.Path, target.ToString()));

        report.Failures.Should().BeEmpty("every corrupted {0} input must load or be refused as documented; first: {1}", target, report.Failures.FirstOrDefault());
        report.Refused.Should().BeGreaterThan(cases / 3, "the mutations must break most inputs, or the run tests little");
        (report.Loaded + report.Refused).Should().Be(cases);
    }
}
