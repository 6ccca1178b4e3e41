using Ddpm.Core.Diffusion;
using Ddpm.Core.Interop;
using Ddpm.Core.Schedules;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Diffusion;

public sealed class NoiseSchedulerTests
{
    private static float[] Values(Tensor t) => t.cpu().data<float>().ToArray();

    [Fact]
    public void Terms_equal_the_notebooks_T300_values()
    {
        using StateDict reference = SafeTensors.Read(Fixtures.PathOf("schedule_t300.safetensors"));
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Linear, 300);

        var ours = new Dictionary<string, Tensor>
        {
            ["betas"] = scheduler.Betas,
            ["alphas"] = scheduler.Alphas,
            ["alphas_cumprod"] = scheduler.AlphasCumprod,
            ["alphas_cumprod_prev"] = scheduler.AlphasCumprodPrev,
            ["sqrt_recip_alphas"] = scheduler.SqrtRecipAlphas,
            ["sqrt_alphas_cumprod"] = scheduler.SqrtAlphasCumprod,
            ["sqrt_one_minus_alphas_cumprod"] = scheduler.SqrtOneMinusAlphasCumprod,
            ["posterior_variance"] = scheduler.PosteriorVariance,
        };

        reference.Keys.Should().BeEquivalentTo(ours.Keys);
        foreach ((string name, Tensor term) in ours)
        {
            float[] expected = Values(reference[name]);
            float[] actual = Values(term);
            actual.Should().HaveCount(300, name);
            for (int t = 0; t < 300; t++)
            {
                // The notebook computes in float32, we in float64: agree within 1e-6 absolute.
                actual[t].Should().BeApproximately(expected[t], 1e-6f, $"{name}[{t}]");
            }
        }
    }

    [Fact]
    public void Posterior_variance_matches_the_golden_values_for_T1000()
    {
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Linear, 1000);

        scheduler.ValueAt(scheduler.PosteriorVariance, 0).Should().Be(0);
        scheduler.ValueAt(scheduler.PosteriorVariance, 487).Should().BeApproximately(0.00979, 1e-5);
        scheduler.ValueAt(scheduler.PosteriorVariance, 999).Should().BeApproximately(0.02, 1e-5);
    }

    [Fact]
    public void Derived_terms_are_consistent_with_the_betas()
    {
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Cosine, 200);
        double product = 1;
        for (int t = 0; t < 200; t++)
        {
            double beta = scheduler.ValueAt(scheduler.Betas, t);
            double previous = product;
            product *= 1 - beta;
            scheduler.ValueAt(scheduler.AlphasCumprod, t).Should().BeApproximately(product, 1e-6);
            scheduler.ValueAt(scheduler.AlphasCumprodPrev, t).Should().BeApproximately(previous, 1e-6);
            scheduler.ValueAt(scheduler.SqrtOneMinusAlphasCumprod, t).Should().BeApproximately(Math.Sqrt(1 - product), 1e-6);
            scheduler.ValueAt(scheduler.PosteriorMeanCoef1, t).Should().BeApproximately(beta * Math.Sqrt(previous) / (1 - product), 1e-5);
            scheduler.ValueAt(scheduler.PosteriorMeanCoef2, t).Should().BeApproximately((1 - previous) * Math.Sqrt(1 - beta) / (1 - product), 1e-5);
        }

        double clippedAtZero = scheduler.ValueAt(scheduler.PosteriorLogVarianceClipped, 0);
        clippedAtZero.Should().BeApproximately(Math.Log(scheduler.ValueAt(scheduler.PosteriorVariance, 1)), 1e-5);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Non_positive_T_is_rejected(int timesteps)
    {
        var act = () => new NoiseScheduler(KnownBetaSchedules.Linear, timesteps);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("timesteps").WithMessage("*at least 1*");
    }

    [Theory]
    [InlineData(10)]
    [InlineData(150)]
    [InlineData(299)]
    public void Closed_form_q_xt_given_x0_has_the_right_mean_and_variance(int t)
    {
        // One fixed x_0 of 64 pixels in [-1, 1], noised N = 4096 times at the same t.
        const int draws = 4096;
        const int pixels = 64;
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Linear, 300);
        using var generator = new Generator(42);
        using var scope = NewDisposeScope();
        Tensor x0 = linspace(-1, 1, pixels).reshape(1, pixels).expand(draws, pixels).contiguous();
        Tensor timesteps = full(new long[] { draws }, t, dtype: ScalarType.Int64);

        using ForwardDiffusionSample sample = scheduler.AddNoise(x0, timesteps, generator);

        double alphaBar = scheduler.ValueAt(scheduler.AlphasCumprod, t);
        float[] mean = Values(sample.NoisySample.mean([0]));
        float[] variance = Values(sample.NoisySample.var([0]));
        float[] x0Values = Values(x0[0]);

        // Standard errors: of the mean √((1-ᾱ)/N); of the variance (1-ᾱ)√(2/(N-1)). Allow 5 of each
        // (each bound holds per pixel with probability 1 - 6e-7, so all 64 together almost surely).
        double meanTolerance = 5 * Math.Sqrt((1 - alphaBar) / draws);
        double varianceTolerance = 5 * (1 - alphaBar) * Math.Sqrt(2.0 / (draws - 1));
        for (int p = 0; p < pixels; p++)
        {
            mean[p].Should().BeApproximately((float)(Math.Sqrt(alphaBar) * x0Values[p]), (float)meanTolerance, $"mean of pixel {p}");
            variance[p].Should().BeApproximately((float)(1 - alphaBar), (float)varianceTolerance, $"variance of pixel {p}");
        }
    }

    [Fact]
    public void Closed_form_uses_the_given_noise_exactly()
    {
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Linear, 300);
        using var scope = NewDisposeScope();
        Tensor x0 = rand(3, 1, 4, 4) * 2 - 1;
        Tensor noise = randn(3, 1, 4, 4);
        Tensor t = tensor(new long[] { 0, 100, 299 });

        Tensor xt = scheduler.AddNoise(x0, noise, t);

        for (int i = 0; i < 3; i++)
        {
            int step = (int)t[i].item<long>();
            // The stored √ᾱ_t and √(1-ᾱ_t) (recomputing 1 - ᾱ_t from float32 ᾱ_t would lose digits at t = 0).
            double a = scheduler.ValueAt(scheduler.SqrtAlphasCumprod, step);
            double b = scheduler.ValueAt(scheduler.SqrtOneMinusAlphasCumprod, step);
            Tensor expected = x0[i] * a + noise[i] * b;
            xt[i].allclose(expected, rtol: 0, atol: 1e-6).Should().BeTrue($"sample {i} at t = {step}");
        }
    }

    [Fact]
    public void Noising_step_by_step_matches_the_closed_form_in_distribution()
    {
        // Apply q(x_s | x_{s-1}) = N(√(1-β_s) x_{s-1}, β_s I) for s = 0..t and compare with q(x_t | x_0).
        const int draws = 8192;
        const int t = 120;
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Linear, 300);
        using var generator = new Generator(7);
        using var scope = NewDisposeScope();
        Tensor x0 = tensor(new[] { 0.8f, -0.5f }).expand(draws, 2).contiguous();

        Tensor x = x0.clone();
        for (int s = 0; s <= t; s++)
        {
            double beta = scheduler.ValueAt(scheduler.Betas, s);
            x = x * Math.Sqrt(1 - beta) + randn(x.shape, generator: generator) * Math.Sqrt(beta);
        }

        using ForwardDiffusionSample direct = scheduler.AddNoise(x0, full(new long[] { draws }, t, dtype: ScalarType.Int64), generator);

        // Two independent samples of the same Gaussian: means within 5 standard errors of a difference,
        // variances within 5 standard errors of a difference.
        double alphaBar = scheduler.ValueAt(scheduler.AlphasCumprod, t);
        double meanTolerance = 5 * Math.Sqrt(2 * (1 - alphaBar) / draws);
        double varianceTolerance = 5 * (1 - alphaBar) * Math.Sqrt(4.0 / (draws - 1));
        float[] stepMean = Values(x.mean([0]));
        float[] directMean = Values(direct.NoisySample.mean([0]));
        float[] stepVar = Values(x.var([0]));
        float[] directVar = Values(direct.NoisySample.var([0]));
        for (int p = 0; p < 2; p++)
        {
            stepMean[p].Should().BeApproximately(directMean[p], (float)meanTolerance);
            stepVar[p].Should().BeApproximately(directVar[p], (float)varianceTolerance);
            stepVar[p].Should().BeApproximately((float)(1 - alphaBar), (float)varianceTolerance);
        }
    }

    [Fact]
    public void Predicting_x0_from_the_true_noise_recovers_x0()
    {
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Linear, 300);
        using var scope = NewDisposeScope();
        Tensor x0 = rand(4, 3, 8, 8) * 2 - 1;
        Tensor noise = randn(4, 3, 8, 8);
        Tensor t = tensor(new long[] { 0, 10, 150, 299 });

        Tensor recovered = scheduler.PredictStartFromNoise(scheduler.AddNoise(x0, noise, t), t, noise);

        recovered.allclose(x0, rtol: 0, atol: 1e-4).Should().BeTrue();
    }

    [Fact]
    public void Posterior_mean_with_the_true_x0_equals_eq11_with_the_true_noise()
    {
        // μ̃_t(x_t, x_0) (eq. 7) and 1/√α_t (x_t - β_t/√(1-ᾱ_t) ε) (eq. 11) are the same when x_0 and ε agree.
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Linear, 300);
        using var scope = NewDisposeScope();
        Tensor x0 = rand(3, 1, 4, 4) * 2 - 1;
        Tensor noise = randn(3, 1, 4, 4);
        Tensor t = tensor(new long[] { 1, 77, 299 });
        Tensor xt = scheduler.AddNoise(x0, noise, t);

        using PosteriorDistribution posterior = scheduler.GetPosterior(x0, xt, t);
        Tensor eq11 = scheduler.PredictPreviousMean(xt, t, noise);

        posterior.Mean.allclose(eq11, rtol: 0, atol: 1e-4).Should().BeTrue();
        posterior.Variance.shape.Should().Equal(3, 1, 1, 1);
        posterior.Variance[1].item<float>().Should().BeApproximately((float)scheduler.ValueAt(scheduler.PosteriorVariance, 77), 1e-9f);
    }

    [Fact]
    public void Timesteps_outside_zero_to_T_minus_one_are_rejected()
    {
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Linear, 300);
        using var scope = NewDisposeScope();
        Tensor x0 = zeros(2, 1, 4, 4);
        Tensor noise = zeros(2, 1, 4, 4);

        var tooLarge = () => scheduler.AddNoise(x0, noise, tensor(new long[] { 0, 300 }));
        var negative = () => scheduler.AddNoise(x0, noise, tensor(new long[] { -1, 0 }));
        var wrongCount = () => scheduler.AddNoise(x0, noise, tensor(new long[] { 0, 1, 2 }));
        var wrongType = () => scheduler.AddNoise(x0, noise, tensor(new float[] { 0, 1 }));
        var wrongNoise = () => scheduler.AddNoise(x0, zeros(2, 1, 4, 5), tensor(new long[] { 0, 1 }));

        tooLarge.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[0, 299]*");
        negative.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[0, 299]*");
        wrongCount.Should().Throw<ArgumentException>().WithMessage("*one entry per sample*");
        wrongType.Should().Throw<ArgumentException>().WithMessage("*int64*");
        wrongNoise.Should().Throw<ArgumentException>().WithMessage("*'noise' has shape*");
    }

    [Fact]
    public void Terms_are_float32_on_the_requested_device()
    {
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Linear, 50, CPU);

        scheduler.Betas.dtype.Should().Be(ScalarType.Float32);
        scheduler.PosteriorVariance.shape.Should().Equal(50);
        scheduler.Device.type.Should().Be(DeviceType.CPU);
    }
}
