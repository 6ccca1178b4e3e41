using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Sampling;
using Ddpm.Core.Sampling.Methods;
using Ddpm.Core.Schedules;
using FluentAssertions;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Sampling;

/// <summary>
/// On Gaussian data, N(μ, s²) per pixel, the optimal denoiser is analytic and so is the probability-flow ODE:
/// with x̃ = x/√ᾱ and σ = √((1-ᾱ)/ᾱ), x̃(σ) - μ grows as √(s² + σ²). Each deterministic method's error at a fixed
/// timestep falls with the rate its order promises as the number of steps doubles.
/// </summary>
public sealed class SamplerConvergenceTests(ITestOutputHelper output)
{
    private const double Mean = 0.3;
    private const double Std = 0.5;
    private const int Checkpoint = 99;

    public static TheoryData<string, int> Methods() => new() { { "ddim", 1 }, { "euler", 1 }, { "heun", 2 }, { "dpm++2m", 2 } };

    [Theory]
    [MemberData(nameof(Methods))]
    public void The_error_falls_at_the_rate_of_the_methods_order(string name, int order)
    {
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Linear, 1000);
        using DdpmModel model = new(new GaussianDenoiser(scheduler, Mean, Std), new NoiseScheduler(KnownBetaSchedules.Linear, 1000), new ImageShape(1, 8, 8));
        int[] stepCounts = [10, 20, 40, 80];
        var errors = new List<double>();
        foreach (int steps in stepCounts)
        {
            ISamplingMethod method = name switch
            {
                "ddim" => new DdimMethod(0),
                "euler" => new EulerMethod(),
                "heun" => new HeunMethod(),
                _ => new DpmSolverPlusPlus2MMethod(lowerOrderFinal: false),
            };
            var sampler = new DdpmSampler(new DdpmSamplerOptions { CustomMethod = method, Steps = steps, Seed = 5, ClampEachStep = false, ClipPredictedSample = false, BatchSize = 64 });
            int[] grid = SamplingTimesteps.Create(1000, steps, TimestepSpacing.Trailing);
            Array.IndexOf(grid, Checkpoint).Should().BePositive($"t = {Checkpoint} is on the trailing grid of {steps} steps");

            // A step reports the timestep it started from and the sample it reached: the step before the checkpoint's.
            int before = grid[Array.IndexOf(grid, Checkpoint) - 1];
            Tensor? start = null;
            Tensor? reached = null;
            using Tensor images = sampler.Sample(model, 64, s =>
            {
                if (s.Timestep == before)
                {
                    reached = s.Sample.clone().DetachFromDisposeScope();
                }
            });

            // x_T is the first draw of the run's generator: the same seed draws it again.
            using (var generator = new Generator(5))
            {
                start = randn(new long[] { 64, 1, 8, 8 }, generator: generator);
            }

            double error = Error(scheduler, start, reached!, grid[0]);
            errors.Add(error);
            start.Dispose();
            reached!.Dispose();
        }

        double[] rates = errors.Zip(errors.Skip(1), (coarse, fine) => coarse / fine).ToArray();
        output.WriteLine($"{name}: errors at t = {Checkpoint} for {string.Join(", ", stepCounts)} steps: {string.Join(", ", errors.Select(e => e.ToString("E2")))}; ratios per doubling {string.Join(", ", rates.Select(r => r.ToString("F2")))} (order {order}: {Math.Pow(2, order)})");
        // At least the promised order over the last two doublings. DPM-Solver++ does better still here: its exponential
        // integrator is exact for the linear part of the ODE, which on Gaussian data is all of it but the multistep term.
        rates[^1].Should().BeGreaterThan(Math.Pow(2, order) * 0.8, $"{name} is order {order}");
        rates[^2].Should().BeGreaterThan(Math.Pow(2, order) * 0.8, $"{name} is order {order}");
        if (order == 1)
        {
            rates.Should().OnlyContain(r => r < 2.5, "a first-order method gains no more than that");
        }
    }

    /// <summary>The largest deviation from the exact ODE solution at t = <see cref="Checkpoint"/> started from x_T at <paramref name="first"/>.</summary>
    private static double Error(NoiseScheduler scheduler, Tensor start, Tensor reached, int first)
    {
        double alphaBarStart = scheduler.ValueAt(scheduler.AlphasCumprod, first);
        double alphaBarEnd = scheduler.ValueAt(scheduler.AlphasCumprod, Checkpoint);
        double sigmaStart = Math.Sqrt((1 - alphaBarStart) / alphaBarStart);
        double sigmaEnd = Math.Sqrt((1 - alphaBarEnd) / alphaBarEnd);
        using var scope = NewDisposeScope();
        Tensor scaledStart = start.to(ScalarType.Float64) / Math.Sqrt(alphaBarStart);
        Tensor exact = (Mean + ((scaledStart - Mean) * Math.Sqrt((Std * Std) + (sigmaEnd * sigmaEnd)) / Math.Sqrt((Std * Std) + (sigmaStart * sigmaStart)))) * Math.Sqrt(alphaBarEnd);
        return (reached.to(ScalarType.Float64) - exact).abs().max().item<double>();
    }

    /// <summary>The optimal ε-prediction for data N(μ, s²) per pixel: E[x_0 | x_t] = μ + √ᾱ s²/(ᾱ s² + 1 - ᾱ) (x_t - √ᾱ μ).</summary>
    private sealed class GaussianDenoiser(NoiseScheduler scheduler, double mean, double std) : nn.Module<Tensor, Tensor, Tensor>("gaussian")
    {
        public override Tensor forward(Tensor x, Tensor t)
        {
            Tensor alphaBar = scheduler.AlphasCumprod.index_select(0, t).to(ScalarType.Float64).view(-1, 1, 1, 1);
            Tensor xd = x.to(ScalarType.Float64);
            Tensor posteriorMean = mean + (alphaBar.sqrt() * std * std / ((alphaBar * std * std) + 1 - alphaBar) * (xd - (alphaBar.sqrt() * mean)));
            return ((xd - (alphaBar.sqrt() * posteriorMean)) / (1 - alphaBar).sqrt()).to(x.dtype);
        }
    }
}
