using FluentAssertions;

namespace Ddpm.Core.Tests.PublicApi;

/// <summary>
/// Guards the public API: the committed listing (Ddpm.Core.txt) must match the assembly, so every
/// change to the surface is deliberate and reviewed. After an intended change, copy the
/// Ddpm.Core.received.txt the failing test writes over tests/Ddpm.Core.Tests/PublicApi/Ddpm.Core.txt.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_API_matches_the_committed_listing()
    {
        string expected = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "PublicApi", "Ddpm.Core.txt")).ReplaceLineEndings("\n");
        string actual = PublicApiListing.Describe(typeof(DdpmModel).Assembly).ReplaceLineEndings("\n");
        string received = Path.Combine(AppContext.BaseDirectory, "PublicApi", "Ddpm.Core.received.txt");

        if (actual != expected)
        {
            File.WriteAllText(received, actual);
        }

        actual.Should().Be(expected, $"the public API changed; if that is intended, copy {received} over tests/Ddpm.Core.Tests/PublicApi/Ddpm.Core.txt and commit it");
    }

    [Fact]
    public void Every_public_type_lives_in_a_Ddpm_Core_namespace()
    {
        typeof(DdpmModel).Assembly.GetExportedTypes().Should().OnlyContain(t => t.Namespace != null && t.Namespace.StartsWith("Ddpm.Core", StringComparison.Ordinal));
    }
}
