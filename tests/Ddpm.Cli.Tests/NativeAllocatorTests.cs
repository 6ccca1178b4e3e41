using FluentAssertions;

namespace Ddpm.Cli.Tests;

public sealed class NativeAllocatorTests
{
    [Fact]
    public void Limiting_the_arenas_applies_on_glibc_and_rejects_a_count_below_one()
    {
        // 64 is above glibc's own default for this machine (8 per core), so the test process is not constrained.
        bool applied = NativeAllocator.LimitArenas(64);
        var zero = () => NativeAllocator.LimitArenas(0);

        applied.Should().Be(OperatingSystem.IsLinux() && !File.Exists("/etc/alpine-release"), "glibc Linux takes the setting; other systems report false");
        zero.Should().Throw<ArgumentOutOfRangeException>();
    }
}
