using Ddpm.Core.Schedules;
using FluentAssertions;

namespace Ddpm.Core.Tests.Schedules;

public sealed class LinearBetaScheduleTests
{
    [Fact]
    public void Defaults_are_the_papers_and_the_notebooks()
    {
        var schedule = new LinearBetaSchedule();

        schedule.BetaStart.Should().Be(1e-4);
        schedule.BetaEnd.Should().Be(0.02);
        KnownBetaSchedules.Linear.Should().BeOfType<LinearBetaSchedule>().Which.BetaEnd.Should().Be(0.02);
    }

    [Fact]
    public void Betas_are_evenly_spaced_from_start_to_end()
    {
        double[] betas = new LinearBetaSchedule().GetBetas(300);

        betas.Should().HaveCount(300);
        betas[0].Should().Be(1e-4);
        betas[^1].Should().BeApproximately(0.02, 1e-15);
        double step = (0.02 - 1e-4) / 299;
        for (int i = 1; i < betas.Length; i++)
        {
            (betas[i] - betas[i - 1]).Should().BeApproximately(step, 1e-15);
        }
    }

    [Fact]
    public void A_single_step_schedule_holds_the_start_value()
    {
        new LinearBetaSchedule(0.01, 0.02).GetBetas(1).Should().Equal(0.01);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Fewer_than_one_timestep_is_rejected(int timesteps)
    {
        var act = () => KnownBetaSchedules.Linear.GetBetas(timesteps);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("timesteps").WithMessage("*at least 1*");
    }

    [Theory]
    [InlineData(0.0, 0.02, "betaStart")]
    [InlineData(-1e-4, 0.02, "betaStart")]
    [InlineData(0.02, 0.01, "betaEnd")]
    [InlineData(1e-4, 1.0, "betaEnd")]
    public void Out_of_range_betas_are_rejected_by_name(double start, double end, string name)
    {
        var act = () => new LinearBetaSchedule(start, end);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(name);
    }
}
