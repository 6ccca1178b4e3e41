using Ddpm.Core.Diffusion;
using Ddpm.Core.Schedules;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Diffusion;

public sealed class PredictionConversionTests
{
    [Theory]
    [InlineData(PredictionType.Epsilon)]
    [InlineData(PredictionType.Sample)]
    [InlineData(PredictionType.Velocity)]
    public void The_target_of_each_prediction_type_converts_back_to_x0_and_noise(PredictionType prediction)
    {
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Cosine, 1000);
        using var scope = NewDisposeScope();
        Tensor x0 = rand(4, 3, 8, 8) * 2 - 1;
        Tensor noise = randn(4, 3, 8, 8);
        Tensor t = tensor(new long[] { 0, 250, 700, 990 });
        Tensor xt = scheduler.AddNoise(x0, noise, t);

        Tensor target = scheduler.GetTarget(prediction, x0, noise, t);
        (Tensor start, Tensor predictedNoise) = scheduler.SplitPrediction(prediction, target, xt, t);

        // ε → x_0 divides by √ᾱ_t, which is small near T: compare within what float32 allows there.
        start.allclose(x0, rtol: 0, atol: prediction == PredictionType.Epsilon ? 2e-2 : 1e-4).Should().BeTrue("x_0 round-trips");
        predictedNoise.allclose(noise, rtol: 0, atol: prediction == PredictionType.Sample ? 2e-2 : 1e-4).Should().BeTrue("ε round-trips");
    }

    [Fact]
    public void Velocity_is_sqrt_alphabar_noise_minus_sqrt_one_minus_alphabar_x0()
    {
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Linear, 300);
        using var scope = NewDisposeScope();
        Tensor x0 = full(new long[] { 1, 1, 2, 2 }, 0.5f);
        Tensor noise = full(new long[] { 1, 1, 2, 2 }, -1f);
        Tensor t = tensor(new long[] { 123 });

        float v = scheduler.GetVelocity(x0, noise, t)[0, 0, 0, 0].item<float>();

        double a = scheduler.ValueAt(scheduler.SqrtAlphasCumprod, 123);
        double b = scheduler.ValueAt(scheduler.SqrtOneMinusAlphasCumprod, 123);
        v.Should().BeApproximately((float)((a * -1) - (b * 0.5)), 1e-6f);
    }

    [Fact]
    public void Velocity_stays_finite_at_zero_terminal_snr()
    {
        using var scheduler = new NoiseScheduler(new ZeroTerminalSnrSchedule(KnownBetaSchedules.Linear), 100);
        using var scope = NewDisposeScope();
        Tensor x0 = rand(2, 1, 4, 4) * 2 - 1;
        Tensor noise = randn(2, 1, 4, 4);
        Tensor t = tensor(new long[] { 99, 99 });
        Tensor xt = scheduler.AddNoise(x0, noise, t);

        xt.allclose(noise, rtol: 0, atol: 1e-6).Should().BeTrue("at SNR 0, x_T is the noise alone");
        (Tensor start, _) = scheduler.SplitPrediction(PredictionType.Velocity, scheduler.GetTarget(PredictionType.Velocity, x0, noise, t), xt, t);
        start.allclose(x0, rtol: 0, atol: 1e-5).Should().BeTrue();
    }
}
