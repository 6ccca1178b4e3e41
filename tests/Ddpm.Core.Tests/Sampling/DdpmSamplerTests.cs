using Ddpm.Core.Sampling;
using Ddpm.Core.Sampling.Methods;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using Microsoft.Extensions.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Sampling;

public sealed class DdpmSamplerTests
{
    [Fact]
    public void A_cancelled_call_is_logged_as_cancelled_and_a_finished_one_as_sampled()
    {
        using DdpmModel model = TinyModels.Untrained(timesteps: 10);
        var logger = new RecordingLogger<DdpmSampler>();
        var sampler = new DdpmSampler(new DdpmSamplerOptions { Seed = 1, BatchSize = 2 }, logger);
        using var cancellation = new CancellationTokenSource();

        var cancelled = () => sampler.Sample(model, 4, onStep: s => cancellation.Cancel(), cancellationToken: cancellation.Token);
        cancelled.Should().Throw<OperationCanceledException>();
        using (Tensor finished = sampler.Sample(model, 2))
        {
        }

        var ends = logger.Entries.Select(e => e.Message).Where(m => !m.StartsWith("Sampling 4", StringComparison.Ordinal) && !m.StartsWith("Sampling 2", StringComparison.Ordinal)).ToList();
        ends.Should().HaveCount(2);
        ends[0].Should().StartWith("Sampling cancelled in batch 1 of 2 (0 of 4 images finished) after ");
        ends[1].Should().StartWith("Sampled 2 images in ");
    }

    [Fact]
    public void Samples_have_the_requested_count_and_shape_and_are_finite_in_range()
    {
        using DdpmModel model = TinyModels.Untrained(channels: 3);
        var sampler = new DdpmSampler(new DdpmSamplerOptions { Seed = 1, BatchSize = 4 });

        using Tensor images = sampler.Sample(model, 6);

        images.shape.Should().Equal(6, 3, 8, 8);
        images.device.type.Should().Be(DeviceType.CPU);
        images.isfinite().all().item<bool>().Should().BeTrue();
        images.min().item<float>().Should().BeGreaterThanOrEqualTo(-1f);
        images.max().item<float>().Should().BeLessThanOrEqualTo(1f);
    }

    [Fact]
    public void A_fixed_seed_gives_identical_samples_and_another_seed_different_ones()
    {
        using DdpmModel model = TinyModels.Untrained();

        using Tensor first = new DdpmSampler(new DdpmSamplerOptions { Seed = 5 }).Sample(model, 3);
        using Tensor second = new DdpmSampler(new DdpmSamplerOptions { Seed = 5 }).Sample(model, 3);
        using Tensor other = new DdpmSampler(new DdpmSamplerOptions { Seed = 6 }).Sample(model, 3);

        second.IsIdenticalTo(first).Should().BeTrue();
        other.IsIdenticalTo(first).Should().BeFalse();
    }

    [Fact]
    public void The_callback_sees_every_timestep_from_T_minus_one_down_to_zero()
    {
        using DdpmModel model = TinyModels.Untrained(timesteps: 15);
        var seen = new List<(int T, int Batch, long[] Shape)>();
        var progress = new RecordingProgress<SamplingProgress>();

        using Tensor images = new DdpmSampler(new DdpmSamplerOptions { Seed = 2, BatchSize = 2 })
            .Sample(model, 3, step => seen.Add((step.Timestep, step.BatchIndex, step.Sample.shape)), progress);

        seen.Select(s => s.T).Should().Equal(Enumerable.Range(0, 15).Reverse().Concat(Enumerable.Range(0, 15).Reverse()));
        seen.Select(s => s.Batch).Should().Equal(Enumerable.Repeat(0, 15).Concat(Enumerable.Repeat(1, 15)));
        seen[0].Shape.Should().Equal(2, 1, 8, 8);
        seen[^1].Shape.Should().Equal(1, 1, 8, 8);
        progress.Reports.Select(r => r.Step).Should().Equal(Enumerable.Range(1, 30).Select(i => (long)i));
        progress.Reports.Should().OnlyContain(r => r.TotalSteps == 30 && r.BatchCount == 2);
    }

    [Fact]
    public void The_last_step_returns_the_mean_and_earlier_steps_add_posterior_noise()
    {
        // With a network that predicts zero noise, x_{t-1} = x_t / √α_t + σ_t z, and the final step adds no noise.
        using DdpmModel model = TinyModels.Untrained(timesteps: 5);
        using (no_grad())
        {
            foreach (var parameter in model.Network.parameters())
            {
                parameter.zero_();
            }
        }

        var snapshots = new List<Tensor>();
        using Tensor images = new DdpmSampler(new DdpmSamplerOptions { Seed = 4, ClampEachStep = false })
            .Sample(model, 2, step => snapshots.Add(step.Sample.clone()));

        using Tensor expectedLast = snapshots[^2] * model.Scheduler.ValueAt(model.Scheduler.SqrtRecipAlphas, 0);
        snapshots[^1].allclose(expectedLast, rtol: 1e-6, atol: 1e-6).Should().BeTrue("t = 0 returns the mean only");
        using Tensor meanAtOne = snapshots[^3] * model.Scheduler.ValueAt(model.Scheduler.SqrtRecipAlphas, 1);
        snapshots[^2].allclose(meanAtOne, rtol: 1e-4, atol: 1e-4).Should().BeFalse("t = 1 adds σ_1 z");
        foreach (Tensor snapshot in snapshots)
        {
            snapshot.Dispose();
        }
    }

    [Theory]
    [InlineData(BatchNormMode.RunningStatistics)]
    [InlineData(BatchNormMode.BatchStatistics)]
    public void Sampling_never_changes_the_model(BatchNormMode mode)
    {
        using DdpmModel model = TinyModels.Untrained();
        model.Network.train();
        var before = model.Network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        using Tensor images = new DdpmSampler(new DdpmSamplerOptions { Seed = 3, BatchNormMode = mode }).Sample(model, 4);

        model.Network.training.Should().BeTrue("the training flag is restored");
        model.Network.modules().Should().OnlyContain(m => m.training, "every submodule's flag is restored");
        foreach ((string key, Tensor value) in model.Network.state_dict())
        {
            value.IsIdenticalTo(before[key]).Should().BeTrue($"{key} must be unchanged");
        }
    }

    [Fact]
    public void Batch_statistics_and_running_statistics_give_different_images()
    {
        using DdpmModel model = TinyModels.Untrained();

        using Tensor eval = new DdpmSampler(new DdpmSamplerOptions { Seed = 8, BatchNormMode = BatchNormMode.RunningStatistics }).Sample(model, 4);
        using Tensor batch = new DdpmSampler(new DdpmSamplerOptions { Seed = 8, BatchNormMode = BatchNormMode.BatchStatistics }).Sample(model, 4);

        batch.IsIdenticalTo(eval).Should().BeFalse();
    }

    [Fact]
    public void Invalid_options_and_counts_are_rejected_by_name()
    {
        var badBatch = () => new DdpmSampler(new DdpmSamplerOptions { BatchSize = 0 });
        var badSeed = () => new DdpmSampler(new DdpmSamplerOptions { Seed = -2 });
        var badDevice = () => new DdpmSampler(new DdpmSamplerOptions { Device = "tpu" });
        var badThreads = () => new DdpmSampler(new DdpmSamplerOptions { Threads = 0 });
        var badKernels = () => new DdpmSampler(new DdpmSamplerOptions { CpuKernels = (Ddpm.Core.Kernels.CpuKernelPath)9 });
        using DdpmModel model = TinyModels.Untrained();
        var badCount = () => new DdpmSampler().Sample(model, 0);

        badBatch.Should().Throw<OptionsValidationException>().WithMessage("BatchSize is 0; it must lie in [1, 65536].");
        badSeed.Should().Throw<OptionsValidationException>().WithMessage("Seed is -2*");
        badDevice.Should().Throw<OptionsValidationException>().WithMessage("Device is \"tpu\"*");
        badThreads.Should().Throw<OptionsValidationException>().WithMessage("Threads is 0; it must be null (all * logical cores) or lie in [1, 1024].");
        badKernels.Should().Throw<OptionsValidationException>().WithMessage("CpuKernels is 9, which is not a CpuKernelPath; use Auto, OneDnn, OneDnnAvx, OneDnnSse41 or OneDnnOff.");
        badCount.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("count")
            .WithMessage("count is *; pass how many images to draw, at least 1, for example Sample(model, 16).*");
    }

    [Fact]
    public void Defaults_are_documented_values()
    {
        var options = new DdpmSamplerOptions();

        options.Device.Should().BeNull();
        options.Seed.Should().BeNull();
        options.BatchSize.Should().Be(64);
        options.Method.Should().BeNull("it follows the model");
        options.ClampEachStep.Should().BeNull("it follows the path");
        options.ClipPredictedSample.Should().BeNull("it follows the model");
        options.BatchNormMode.Should().BeNull("it follows the model");
        options.CpuKernels.Should().Be(Ddpm.Core.Kernels.CpuKernelPath.Auto);
    }

    [Fact]
    public void Null_options_follow_the_model_the_notebook_network_as_the_notebook_samples_and_a_UNet_with_DPM_Solver_2M_in_20_steps()
    {
        using DdpmModel notebook = TinyModels.Untrained();
        using DdpmModel unet = TinyModels.UntrainedUNet();

        SamplingDefaults.Method(notebook).Should().Be(SamplingMethod.Ddpm);
        SamplingDefaults.ClampEachStep(notebook, SamplingMethod.Ddpm).Should().BeTrue();
        SamplingDefaults.ClampEachStep(notebook, SamplingMethod.Ddim).Should().BeFalse("only the notebook's path clamps x_t");
        SamplingDefaults.ClipPredictedSample(notebook).Should().BeFalse();
        SamplingDefaults.BatchNormMode(notebook).Should().Be(BatchNormMode.BatchStatistics);

        SamplingDefaults.Method(unet).Should().Be(SamplingMethod.DpmSolverPlusPlus2M, "it beat DDIM-50 on the quality bar's model (docs/sampling.md)");
        SamplingDefaults.Steps(SamplingMethod.DpmSolverPlusPlus2M, 1000).Should().Be(20);
        SamplingDefaults.Steps(SamplingMethod.Ddim, 1000).Should().Be(50);
        SamplingDefaults.ClampEachStep(unet, SamplingMethod.Ddpm).Should().BeFalse();
        SamplingDefaults.ClipPredictedSample(unet).Should().BeTrue();
        SamplingDefaults.BatchNormMode(unet).Should().Be(BatchNormMode.RunningStatistics);

        // The sampler applies them: with the defaults, the UNet is sampled by DPM-Solver++(2M), exactly as when it
        // is named, and the notebook's network draws exactly what the explicit notebook settings draw.
        var defaultSampler = new DdpmSampler(new DdpmSamplerOptions { Seed = 3, Steps = 6 });
        defaultSampler.MethodFor(unet).Should().BeOfType<DpmSolverPlusPlus2MMethod>();
        using (Tensor images = defaultSampler.Sample(unet, 2))
        using (Tensor named = new DdpmSampler(new DdpmSamplerOptions { Seed = 3, Steps = 6, Method = SamplingMethod.DpmSolverPlusPlus2M }).Sample(unet, 2))
        {
            images.IsIdenticalTo(named).Should().BeTrue();
        }

        using Tensor byDefault = new DdpmSampler(new DdpmSamplerOptions { Seed = 3 }).Sample(notebook, 2);
        using Tensor explicitNotebook = new DdpmSampler(new DdpmSamplerOptions
        {
            Seed = 3, Method = SamplingMethod.Ddpm, ClampEachStep = true, ClipPredictedSample = false, BatchNormMode = BatchNormMode.BatchStatistics,
        }).Sample(notebook, 2);
        byDefault.IsIdenticalTo(explicitNotebook).Should().BeTrue();
    }
}
