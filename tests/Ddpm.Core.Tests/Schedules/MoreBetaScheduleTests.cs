using Ddpm.Core.Schedules;
using FluentAssertions;

namespace Ddpm.Core.Tests.Schedules;

public sealed class MoreBetaScheduleTests
{
    [Fact]
    public void Quadratic_betas_have_evenly_spaced_square_roots()
    {
        double[] betas = KnownBetaSchedules.Quadratic.GetBetas(100);

        betas[0].Should().BeApproximately(1e-4, 1e-15);
        betas[^1].Should().BeApproximately(0.02, 1e-15);
        double step = (Math.Sqrt(0.02) - Math.Sqrt(1e-4)) / 99;
        for (int i = 1; i < 100; i++)
        {
            (Math.Sqrt(betas[i]) - Math.Sqrt(betas[i - 1])).Should().BeApproximately(step, 1e-12);
        }
    }

    [Fact]
    public void Scaled_linear_is_the_quadratic_formula_with_latent_diffusion_defaults()
    {
        double[] betas = KnownBetaSchedules.ScaledLinear.GetBetas(1000);

        KnownBetaSchedules.ScaledLinear.Name.Should().Be("scaled-linear");
        betas[0].Should().BeApproximately(0.00085, 1e-15);
        betas[^1].Should().BeApproximately(0.012, 1e-15);
        betas.Should().BeEquivalentTo(new QuadraticBetaSchedule(0.00085, 0.012).GetBetas(1000), o => o.WithStrictOrdering());
    }

    [Fact]
    public void Sigmoid_betas_rise_monotonically_and_symmetrically_between_the_bounds()
    {
        double[] betas = KnownBetaSchedules.Sigmoid.GetBetas(301);

        betas.Should().BeInAscendingOrder().And.OnlyContain(b => b > 1e-4 && b < 0.02);
        betas[150].Should().BeApproximately((1e-4 + 0.02) / 2, 1e-15, "σ(0) = ½ at the middle step");
        (betas[10] - 1e-4).Should().BeApproximately(0.02 - betas[290], 1e-15, "σ(-x) = 1 - σ(x)");
    }

    [Theory]
    [InlineData(10)]
    [InlineData(1000)]
    public void Zero_terminal_snr_rescaling_ends_at_pure_noise_and_keeps_the_first_step(int timesteps)
    {
        var rescaled = new ZeroTerminalSnrSchedule(KnownBetaSchedules.Linear);
        double[] original = KnownBetaSchedules.Linear.GetBetas(timesteps);
        double[] betas = rescaled.GetBetas(timesteps);

        betas[^1].Should().Be(1, "ᾱ at the last step is 0: SNR 0");
        betas[0].Should().BeApproximately(original[0], 1e-12, "√ᾱ_0 is unchanged");
        betas.Should().OnlyContain(b => b > 0 && b <= 1);
        double product = 1;
        double previous = 1;
        foreach (double beta in betas)
        {
            product *= 1 - beta;
            product.Should().BeLessThan(previous);
            previous = product;
        }

        product.Should().Be(0);
        rescaled.Name.Should().Be("linear+zero-terminal-snr");

        // Lin et al. 2024, Algorithm 1: √ᾱ is mapped affinely, √ᾱ'_t = (√ᾱ_t - √ᾱ_{T-1}) · √ᾱ_0 / (√ᾱ_0 - √ᾱ_{T-1}),
        // so the first step keeps its value and the last becomes 0 (setting the last β to 1 alone would not do this).
        double[] sqrtOriginal = SqrtAlphaBar(original);
        double[] sqrtRescaled = SqrtAlphaBar(betas);
        for (int t = 0; t < timesteps; t++)
        {
            double expected = (sqrtOriginal[t] - sqrtOriginal[^1]) * sqrtOriginal[0] / (sqrtOriginal[0] - sqrtOriginal[^1]);
            sqrtRescaled[t].Should().BeApproximately(expected, 1e-9, $"t = {t}");
        }
    }

    private static double[] SqrtAlphaBar(double[] betas)
    {
        var result = new double[betas.Length];
        double product = 1;
        for (int t = 0; t < betas.Length; t++)
        {
            product *= 1 - betas[t];
            result[t] = Math.Sqrt(product);
        }

        return result;
    }

    [Fact]
    public void Zero_terminal_snr_needs_two_steps()
    {
        var act = () => new ZeroTerminalSnrSchedule(KnownBetaSchedules.Linear).GetBetas(1);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*at least 2*");
    }
}
