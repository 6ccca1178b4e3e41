using Ddpm.Core.Schedules;
using FluentAssertions;

namespace Ddpm.Core.Tests.Schedules;

public sealed class CosineBetaScheduleTests
{
    [Theory]
    [InlineData(10)]
    [InlineData(300)]
    [InlineData(1000)]
    public void Betas_lie_in_zero_to_max_and_alphas_cumprod_decreases(int timesteps)
    {
        double[] betas = KnownBetaSchedules.Cosine.GetBetas(timesteps);

        betas.Should().HaveCount(timesteps).And.OnlyContain(b => b > 0 && b <= 0.999);
        double product = 1;
        double previous = 1;
        foreach (double beta in betas)
        {
            product *= 1 - beta;
            product.Should().BeLessThan(previous);
            previous = product;
        }
    }

    [Fact]
    public void Alphas_cumprod_follows_the_squared_cosine_of_Nichol_and_Dhariwal()
    {
        const int T = 1000;
        const double s = 0.008;
        double[] betas = KnownBetaSchedules.Cosine.GetBetas(T);
        double F(int t) => Math.Pow(Math.Cos(((double)t / T + s) / (1 + s) * Math.PI / 2), 2);

        double product = 1;
        for (int t = 0; t < 900; t++)
        {
            product *= 1 - betas[t];

            // ᾱ at the end of step t is f(t + 1) / f(0), until clipping at 0.999 sets in near t = T.
            product.Should().BeApproximately(F(t + 1) / F(0), 1e-12);
        }
    }

    [Fact]
    public void The_last_beta_is_clipped_at_the_maximum()
    {
        KnownBetaSchedules.Cosine.GetBetas(1000)[^1].Should().Be(0.999);
        new CosineBetaSchedule(maxBeta: 0.5).GetBetas(1000).Max().Should().Be(0.5);
    }

    [Theory]
    [InlineData(-0.1, 0.999, "offset")]
    [InlineData(1.0, 0.999, "offset")]
    [InlineData(0.008, 0.0, "maxBeta")]
    [InlineData(0.008, 1.0, "maxBeta")]
    public void Out_of_range_parameters_are_rejected_by_name(double offset, double maxBeta, string name)
    {
        var act = () => new CosineBetaSchedule(offset, maxBeta);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(name);
    }
}
