using Ddpm.Core.Sampling;
using FluentAssertions;

namespace Ddpm.Core.Tests.Sampling;

/// <summary>The built-in methods behind <see cref="SamplingMethod"/> and their names.</summary>
public sealed class SamplingMethodsTests
{
    [Fact]
    public void Every_built_in_method_is_found_by_its_own_name_in_the_enums_order()
    {
        SamplingMethods.ByName.Keys.Should().Equal("ddpm", "ddim", "dpm++2m", "euler", "euler-a", "heun");
        foreach (SamplingMethod method in Enum.GetValues<SamplingMethod>())
        {
            SamplingMethods.ByName[SamplingMethods.Create(method).Name].Should().Be(method);
        }
    }
}
