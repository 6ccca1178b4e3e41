using Ddpm.Core.Sampling.Methods;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Schedules;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Sampling;

public sealed class DdimAndRespacingTests
{
    [Theory]
    [InlineData(SamplingMethod.Ddim, TimestepSpacing.Linspace, 7)]
    [InlineData(SamplingMethod.Ddim, TimestepSpacing.Trailing, 5)]
    [InlineData(SamplingMethod.Ddpm, TimestepSpacing.Leading, 6)]
    [InlineData(SamplingMethod.EulerAncestral, TimestepSpacing.Karras, 6)]
    public void The_sampler_visits_exactly_the_chosen_timesteps(SamplingMethod method, TimestepSpacing spacing, int steps)
    {
        using DdpmModel model = TinyModels.Untrained(timesteps: 30);
        var sampler = new DdpmSampler(new DdpmSamplerOptions { Seed = 1, Method = method, Spacing = spacing, Steps = steps });
        var visited = new List<int>();

        using Tensor images = sampler.Sample(model, 2, s => visited.Add(s.Timestep));

        visited.Should().Equal(SamplingTimesteps.Create(model.Scheduler, steps, spacing));
        images.isfinite().all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void Ddim_with_eta_zero_is_deterministic_and_follows_eq_12_from_each_actual_previous_timestep()
    {
        // Linspace with 7 of 30 steps has uneven strides; each step must use the real previous ᾱ.
        using DdpmModel model = TinyModels.Untrained(timesteps: 30);
        var options = new DdpmSamplerOptions { Seed = 9, Method = SamplingMethod.Ddim, Steps = 7, Spacing = TimestepSpacing.Linspace, ClampEachStep = false, BatchNormMode = BatchNormMode.RunningStatistics };
        var states = new List<Tensor>();
        using Tensor images = new DdpmSampler(options).Sample(model, 2, s => states.Add(s.Sample.clone()));
        int[] steps = SamplingTimesteps.Create(30, 7, TimestepSpacing.Linspace);
        double[] alphaBar = Enumerable.Range(0, 30).Select(t => model.Scheduler.ValueAt(model.Scheduler.AlphasCumprod, t)).ToArray();

        // Recompute steps 2..7 from the sampler's own state after step 1, without any random draw.
        using (no_grad())
        {
            for (int i = 1; i < steps.Length; i++)
            {
                using var scope = NewDisposeScope();
                int t = steps[i];
                double previous = i + 1 < steps.Length ? alphaBar[steps[i + 1]] : 1;
                Tensor x = states[i - 1];
                Tensor eps = model.Network.call(x, full(new long[] { 2 }, t, dtype: ScalarType.Int64));
                Tensor x0 = (x - (Math.Sqrt(1 - alphaBar[t]) * eps)) / Math.Sqrt(alphaBar[t]);
                Tensor expected = (Math.Sqrt(previous) * x0) + (Math.Sqrt(1 - previous) * eps);
                states[i].allclose(expected, rtol: 1e-4, atol: 1e-4).Should().BeTrue($"step {i} from t = {t}");
            }
        }

        using Tensor again = new DdpmSampler(options).Sample(model, 2);
        again.IsIdenticalTo(images).Should().BeTrue();
        states.ForEach(s => s.Dispose());
    }

    [Fact]
    public void Ddim_with_eta_one_over_all_steps_matches_ddpm_in_distribution()
    {
        // A network that outputs zero makes both chains Gaussian: compare the final mean and variance.
        const int count = 4096;
        using DdpmModel model = ZeroNetworkModel(timesteps: 6);
        var ddpm = new DdpmSampler(new DdpmSamplerOptions { Seed = 1, BatchSize = count, ClampEachStep = false });
        var ddim = new DdpmSampler(new DdpmSamplerOptions { Seed = 2, BatchSize = count, ClampEachStep = false, Method = SamplingMethod.Ddim, Eta = 1, Steps = 6 });

        using Tensor a = ddpm.Sample(model, count);
        using Tensor b = ddim.Sample(model, count);

        using var scope = NewDisposeScope();
        double varianceA = a.var().item<float>();
        double varianceB = b.var().item<float>();
        double meanA = a.mean().item<float>();
        double meanB = b.mean().item<float>();

        // 4096 images x 16 pixels; pixels are independent here. Standard error of a variance ≈ v √(2/n).
        double n = count * 16;
        Math.Abs(meanA - meanB).Should().BeLessThan(5 * Math.Sqrt(2 * Math.Max(varianceA, varianceB) / n));
        Math.Abs(varianceA - varianceB).Should().BeLessThan(5 * Math.Max(varianceA, varianceB) * Math.Sqrt(4 / n));
    }

    [Fact]
    public void Ddim_with_eta_one_given_the_same_noise_is_ddpm_step_for_step_and_eta_zero_is_far_from_it()
    {
        // Song et al. 2021, §4.1: with η = 1, σ equals DDPM's posterior standard deviation and the mean equals
        // DDPM's posterior mean, so the same x_T and the same z give the same trajectory (up to float rounding).
        using DdpmModel model = TinyModels.Untrained(timesteps: 12);
        Tensor[] noise = Enumerable.Range(0, 13).Select(i => randn(new long[] { 3, 1, 8, 8 }, generator: new Generator(100 + (ulong)i))).ToArray();
        Tensor Draw(Queue<Tensor> queue, long[] shape) => queue.Dequeue().clone();
        DdpmSampler Sampler(SamplingMethod method, double eta)
        {
            var queue = new Queue<Tensor>(noise);
            return new DdpmSampler(new DdpmSamplerOptions
            {
                Method = method, Eta = eta, Steps = 12, ClampEachStep = false, ClipPredictedSample = false, BatchNormMode = BatchNormMode.RunningStatistics, BatchSize = 3,
            })
            {
                NoiseSource = shape => Draw(queue, shape),
            };
        }

        using Tensor ddpm = Sampler(SamplingMethod.Ddpm, 0).Sample(model, 3);
        using Tensor ddimOne = Sampler(SamplingMethod.Ddim, 1).Sample(model, 3);
        using Tensor ddimZero = Sampler(SamplingMethod.Ddim, 0).Sample(model, 3);

        using var scope = NewDisposeScope();
        double same = (ddimOne - ddpm).abs().max().item<float>();
        double apart = (ddimZero - ddpm).abs().max().item<float>();
        same.Should().BeLessThan(1e-4, "η = 1 is DDPM");
        apart.Should().BeGreaterThan(100 * 1e-4, "η = 0 adds no noise, so it must land far from DDPM");
        foreach (Tensor z in noise)
        {
            z.Dispose();
        }
    }

    [Theory]
    [InlineData(VarianceType.FixedSmall)]
    [InlineData(VarianceType.FixedLarge)]
    public void Fewer_step_ddpm_follows_the_posterior_between_the_actual_timesteps_with_either_variance(VarianceType variance)
    {
        // S = 5 of T = 20 (leading: 16, 12, 8, 4, 0). Each step from t to s uses β' = 1 - ᾱ_t/ᾱ_s in the posterior
        // q(x_s | x_t, x̂_0) (Ho et al. 2020, eq. 7 with ᾱ_s in place of ᾱ_{t-1}); σ² = (1-ᾱ_s)/(1-ᾱ_t) β' or β'.
        using DdpmModel model = TinyModels.Untrained(timesteps: 20);
        var draws = new List<Tensor>();
        var generator = new Generator(7);
        var sampler = new DdpmSampler(new DdpmSamplerOptions
        {
            Method = SamplingMethod.Ddpm, Steps = 5, Spacing = TimestepSpacing.Leading, Variance = variance,
            ClampEachStep = false, ClipPredictedSample = false, BatchNormMode = BatchNormMode.RunningStatistics,
        })
        {
            NoiseSource = shape =>
            {
                Tensor z = randn(shape, generator: generator);
                draws.Add(z.clone().DetachFromDisposeScope());
                return z;
            },
        };
        var states = new List<Tensor>();
        using Tensor images = sampler.Sample(model, 2, s => states.Add(s.Sample.clone()));
        int[] steps = SamplingTimesteps.Create(20, 5, TimestepSpacing.Leading);
        double[] alphaBar = Enumerable.Range(0, 20).Select(t => model.Scheduler.ValueAt(model.Scheduler.AlphasCumprod, t)).ToArray();

        // draws[0] is x_T; draws[i] is the z of step i (none at the last step).
        draws.Should().HaveCount(steps.Length);
        using (no_grad())
        {
            Tensor x = draws[0];
            for (int i = 0; i < steps.Length; i++)
            {
                using var scope = NewDisposeScope();
                int t = steps[i];
                double previous = i + 1 < steps.Length ? alphaBar[steps[i + 1]] : 1;
                double betaPrime = 1 - (alphaBar[t] / previous);
                Tensor eps = model.Network.call(x, full(new long[] { 2 }, t, dtype: ScalarType.Int64));
                Tensor x0 = (x - (Math.Sqrt(1 - alphaBar[t]) * eps)) / Math.Sqrt(alphaBar[t]);
                Tensor mean = (Math.Sqrt(previous) * betaPrime / (1 - alphaBar[t]) * x0) + (Math.Sqrt(1 - betaPrime) * (1 - previous) / (1 - alphaBar[t]) * x);
                double sigma2 = variance == VarianceType.FixedLarge ? betaPrime : (1 - previous) / (1 - alphaBar[t]) * betaPrime;
                Tensor expected = i + 1 < steps.Length ? mean + (Math.Sqrt(sigma2) * draws[i + 1]) : mean;
                states[i].allclose(expected, rtol: 1e-4, atol: 1e-4).Should().BeTrue($"step {i} from t = {t} ({variance})");
                x = states[i];
            }
        }

        states.ForEach(s => s.Dispose());
        draws.ForEach(d => d.Dispose());
        generator.Dispose();
    }

    [Fact]
    public void More_steps_than_T_are_rejected_at_sampling_with_advice()
    {
        using DdpmModel model = TinyModels.Untrained(timesteps: 20);
        var sampler = new DdpmSampler(new DdpmSamplerOptions { Method = SamplingMethod.Ddim, Steps = 50 });

        var act = () => sampler.Sample(model, 1);

        act.Should().Throw<ArgumentException>().WithMessage("*Steps is 50 but the model has only T = 20*use at most 20*");
    }

    [Fact]
    public void Ddim_defaults_to_50_steps_or_T_and_a_UNet_to_DPM_Solver_in_20()
    {
        using DdpmModel t1000 = TinyModels.UntrainedUNet(timesteps: 1000);
        using DdpmModel t20 = TinyModels.UntrainedUNet(timesteps: 20);
        using DdpmModel notebook = TinyModels.Untrained(timesteps: 300);
        new DdpmSampler(new DdpmSamplerOptions { Method = SamplingMethod.Ddim }).GetTimesteps(t1000).Should().HaveCount(50);
        new DdpmSampler(new DdpmSamplerOptions { Method = SamplingMethod.Ddim }).GetTimesteps(t20).Should().HaveCount(20);
        new DdpmSampler(new DdpmSamplerOptions { Method = SamplingMethod.Ddpm }).GetTimesteps(t1000).Should().HaveCount(1000);
        new DdpmSampler().GetTimesteps(t1000).Should().HaveCount(20, "a UNet is sampled with DPM-Solver++(2M) in 20 steps by default");
        new DdpmSampler().GetTimesteps(notebook).Should().HaveCount(300, "the notebook's SimpleUNet with DDPM through every step");
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, 0.9)]
    [InlineData(false, 0.6)]
    public void Each_step_bounds_x0_as_defined_and_uses_the_noise_consistent_with_it(bool clip, double? percentile)
    {
        // The output is clamped anyway, so the bound is checked on the intermediate states: DDIM with η = 0 from
        // x_t gives x_s = √ᾱ_s x̂_0 + √(1-ᾱ_s) ε̂, where x̂_0 is bounded and ε̂ = (x_t - √ᾱ_t x̂_0)/√(1-ᾱ_t).
        using DdpmModel model = TinyModels.Untrained(timesteps: 10);
        var options = new DdpmSamplerOptions
        {
            Seed = 4, ClipPredictedSample = clip, DynamicThresholdingPercentile = percentile, ClampEachStep = false,
            Method = SamplingMethod.Ddim, Steps = 10, BatchNormMode = BatchNormMode.RunningStatistics,
        };
        var states = new List<Tensor>();
        using Tensor images = new DdpmSampler(options).Sample(model, 2, s => states.Add(s.Sample.clone()));
        double[] alphaBar = Enumerable.Range(0, 10).Select(t => model.Scheduler.ValueAt(model.Scheduler.AlphasCumprod, t)).ToArray();
        bool bounded = false;

        using (no_grad())
        {
            for (int i = 1; i < 10; i++)
            {
                using var scope = NewDisposeScope();
                int t = 9 - i;
                double previous = t > 0 ? alphaBar[t - 1] : 1;
                Tensor x = states[i - 1];
                Tensor eps = model.Network.call(x, full(new long[] { 2 }, t, dtype: ScalarType.Int64));
                Tensor x0 = (x - (Math.Sqrt(1 - alphaBar[t]) * eps)) / Math.Sqrt(alphaBar[t]);
                bounded |= x0.abs().max().item<float>() > 1;
                x0 = clip ? x0.clamp(-1, 1) : Threshold(x0, percentile!.Value);
                Tensor consistent = (x - (Math.Sqrt(alphaBar[t]) * x0)) / Math.Sqrt(1 - alphaBar[t]);
                Tensor expected = (Math.Sqrt(previous) * x0) + (Math.Sqrt(1 - previous) * consistent);
                states[i].allclose(expected, rtol: 1e-4, atol: 1e-4).Should().BeTrue($"step {i} from t = {t}");
            }
        }

        bounded.Should().BeTrue("the untrained network predicts x̂_0 beyond [-1, 1], so the bound acts");
        states.ForEach(s => s.Dispose());
    }

    /// <summary>Dynamic thresholding (Saharia et al. 2022, §2.3), with the percentile interpolated here in double, as torch.quantile does.</summary>
    private static Tensor Threshold(Tensor x0, double percentile)
    {
        var rows = new List<Tensor>();
        for (int b = 0; b < x0.shape[0]; b++)
        {
            double[] sorted = x0[b].abs().flatten().to(ScalarType.Float64).data<double>().ToArray();
            Array.Sort(sorted);
            double position = percentile * (sorted.Length - 1);
            int low = (int)Math.Floor(position);
            double quantile = sorted[low] + ((position - low) * (sorted[Math.Min(low + 1, sorted.Length - 1)] - sorted[low]));
            double s = Math.Max(1, quantile);
            rows.Add(x0[b].clamp(-s, s) / s);
        }

        return stack(rows);
    }

    [Fact]
    public void Conflicting_bounds_and_bad_eta_are_rejected()
    {
        var both = () => new DdpmSampler(new DdpmSamplerOptions { ClipPredictedSample = true, DynamicThresholdingPercentile = 0.99 });
        var eta = () => new DdpmSampler(new DdpmSamplerOptions { Eta = 1.5 });

        both.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*choose one way*");
        eta.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("Eta is 1.5*");
    }

    private static DdpmModel ZeroNetworkModel(int timesteps)
    {
        var configuration = new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 8], TimeEmbeddingDim = 8 };
        var network = new SimpleUNet(configuration);
        using (no_grad())
        {
            foreach (var parameter in network.parameters())
            {
                parameter.zero_();
            }
        }

        return new DdpmModel(network, new NoiseScheduler(KnownBetaSchedules.Linear, timesteps), new ImageShape(1, 4, 4), configuration);
    }
}
