using System.Text.Json;
using Ddpm.Core.Schedules;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;

namespace Ddpm.Core.Tests.Interop;

/// <summary>
/// The named beta schedules of python/ddpm_core_torch (what <c>train_ddp.py --preset</c> trains with) against Ddpm.Core's:
/// tests/reference/network_parity_reference.py wrote them to schedules_python.json, in float64.
/// </summary>
public sealed class ScheduleParityTests
{
    public static TheoryData<string, int> Cases => new()
    {
        { "linear", 1000 }, { "cosine", 1000 }, { "quadratic", 1000 }, { "sigmoid", 1000 }, { "scaled-linear", 1000 },
        { "linear", 7 }, { "cosine", 7 }, { "quadratic", 7 }, { "sigmoid", 7 }, { "scaled-linear", 7 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_twins_schedules_are_Ddpm_Cores_to_the_last_bits(string name, int timesteps)
    {
        using JsonDocument fixture = JsonDocument.Parse(File.ReadAllText(Fixtures.PathOf("schedules_python.json")));
        double[] python = fixture.RootElement.GetProperty("betas").GetProperty($"{name}/{timesteps}").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        IBetaSchedule schedule = name switch
        {
            "linear" => KnownBetaSchedules.Linear,
            "cosine" => KnownBetaSchedules.Cosine,
            "quadratic" => KnownBetaSchedules.Quadratic,
            "sigmoid" => KnownBetaSchedules.Sigmoid,
            _ => KnownBetaSchedules.ScaledLinear,
        };

        double[] dotnet = schedule.GetBetas(timesteps);

        dotnet.Should().HaveCount(python.Length);
        dotnet.Zip(python, (a, b) => Math.Abs(a - b) / b).Max().Should().BeLessThan(1e-12, "the same formulas in float64");
        schedule.Name.Should().Be(name);
    }
}
