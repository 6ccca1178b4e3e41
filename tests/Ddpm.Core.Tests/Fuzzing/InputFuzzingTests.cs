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
    [InlineData(FuzzTarget.ImageFolder, 300)]
    [InlineData(FuzzTarget.Idx, 300)]
    [InlineData(FuzzTarget.Checkpoint, 150)]
    internal void Corrupted_files_load_or_raise_only_the_documented_exception(FuzzTarget target, int cases)
    {
        FuzzReport report = InputFuzzer.Run(target, cases, seed: 2026, Path.Combine(_folder.Path, target.ToString()));

        report.Failures.Should().BeEmpty("every corrupted {0} input must load or be refused as documented; first: {1}", target, report.Failures.FirstOrDefault());
        report.Refused.Should().BeGreaterThan(cases / 3, "the mutations must break most inputs, or the run tests little");
        (report.Loaded + report.Refused).Should().Be(cases);
    }
}
