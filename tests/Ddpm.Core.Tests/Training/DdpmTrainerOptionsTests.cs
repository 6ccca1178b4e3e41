using Ddpm.Core.Models;
using Ddpm.Core.Schedules;
using Ddpm.Core.Training;
using FluentAssertions;
using Microsoft.Extensions.Options;

namespace Ddpm.Core.Tests.Training;

public sealed class DdpmTrainerOptionsTests
{
    [Fact]
    public void Defaults_follow_the_notebook_except_for_the_network_T_and_the_loss()
    {
        var options = new DdpmTrainerOptions();

        options.Epochs.Should().Be(100);
        options.MaxSteps.Should().BeNull();
        options.BatchSize.Should().Be(128);
        options.LearningRate.Should().Be(1e-3);
        options.Loss.Should().Be(LossType.L2, "L1's per-pixel median is not the posterior mean DDPM's sampler needs");
        options.HuberDelta.Should().Be(1.0);
        options.Device.Should().Be("cpu");
        options.Seed.Should().BeNull();
        options.Threads.Should().BeNull("null uses every logical core");
        options.Precision.Should().Be(TrainingPrecision.Auto);
        options.CpuKernels.Should().Be(Ddpm.Core.Kernels.CpuKernelPath.Auto, "the environment variable, else the fastest path that passes the check");
        options.Timesteps.Should().Be(1000, "at the notebook's T = 300 the linear schedule leaves ᾱ_T ≈ 0.05 of signal that pure-noise sampling lacks");
        options.Schedule.Should().BeSameAs(KnownBetaSchedules.Linear);
        options.Network.Should().BeNull("the trainer builds UNetPresets.Small for the dataset's channels");
        options.Prediction.Should().Be(Ddpm.Core.Diffusion.PredictionType.Epsilon);
        options.Optimizer.Should().Be(OptimizerType.Adam);
        options.WeightDecay.Should().Be(0);
        options.WarmupSteps.Should().Be(0);
        options.LearningRateSchedule.Should().Be(LearningRateSchedule.Constant);
        options.MaxGradNorm.Should().BeNull();
        options.GradientAccumulationSteps.Should().Be(1);
        options.Ema.Enabled.Should().BeTrue();
        options.Ema.MaxDecay.Should().Be(0.9999);
        options.Ema.Power.Should().Be(0.75);
        options.MinSnrGamma.Should().BeNull();
        options.PrefetchBatches.Should().Be(2);
        options.CheckpointDirectory.Should().BeNull();
        options.CheckpointInterval.Should().Be(1000);
        options.CheckpointsToKeep.Should().Be(3);
        options.SampleInterval.Should().BeNull();
        options.SampleCount.Should().Be(16);
        options.TensorBoardDirectory.Should().BeNull();
        options.RandomHorizontalFlip.Should().BeTrue();
        options.Shuffle.Should().BeTrue();
        options.LogInterval.Should().Be(50);
        new DdpmTrainerOptionsValidator().Validate(null, options).Succeeded.Should().BeTrue();
    }

    public static TheoryData<Action<DdpmTrainerOptions>, string> InvalidOptions => new()
    {
        { o => o.Epochs = 0, "Epochs is 0; it must lie in [1, 1000000]." },
        { o => o.MaxSteps = 0, "MaxSteps is 0; it must be null or lie in [1, 10^12]." },
        { o => o.BatchSize = 0, "BatchSize is 0; it must lie in [1, 65536]." },
        { o => o.LearningRate = -0.001, "LearningRate is -0.001; it must be greater than 0 and at most 10 (the notebook uses 1e-3)." },
        { o => o.LearningRate = double.NaN, "LearningRate is NaN; it must be greater than 0 and at most 10 (the notebook uses 1e-3)." },
        { o => o.Loss = (LossType)9, "Loss is 9, which is not a LossType; use L1, L2 or Huber." },
        { o => o.Precision = (TrainingPrecision)7, "Precision is 7, which is not a TrainingPrecision; use Auto, Float32 or BFloat16." },
        { o => o.HuberDelta = 0, "HuberDelta is 0; it must be a finite number greater than 0." },
        { o => o.Device = "gpu", "Device is \"gpu\", which is not a device; use \"cpu\", \"cuda\" or \"cuda:N\" (N = 0, 1, ...)." },
        { o => o.Device = "", "Device is empty; use \"cpu\", \"cuda\" or \"cuda:N\"." },
        { o => o.Seed = -1, "Seed is -1; it must be null or a non-negative integer." },
        { o => o.CpuKernels = (Ddpm.Core.Kernels.CpuKernelPath)5, "CpuKernels is 5, which is not a CpuKernelPath; use Auto, OneDnn, OneDnnAvx, OneDnnSse41 or OneDnnOff." },
        { o => o.Threads = 0, $"Threads is 0; it must be null (all {Environment.ProcessorCount} logical cores) or lie in [1, 1024]." },
        { o => o.Threads = 1025, $"Threads is 1025; it must be null (all {Environment.ProcessorCount} logical cores) or lie in [1, 1024]." },
        { o => o.Timesteps = 0, "Timesteps is 0; it must lie in [1, 100000] (the notebook uses 300)." },
        { o => o.Timesteps = -300, "Timesteps is -300; it must lie in [1, 100000] (the notebook uses 300)." },
        { o => o.Schedule = null!, "Schedule is null; use a schedule such as KnownBetaSchedules.Linear." },
        { o => o.LogInterval = 0, "LogInterval is 0; it must lie in [1, 1000000]." },
        { o => { o.Timesteps = 300; o.PreviewSampling.Steps = 500; }, "PreviewSampling.Steps is 500 but Timesteps (T) is 300; a sampler cannot take more steps than T, so use at most 300." },
        { o => { o.MaxSteps = 100; o.WarmupSteps = 100; }, "WarmupSteps is 100 but the run has only MaxSteps = 100 steps; the warm-up must be shorter than the run." },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Each_invalid_value_fails_with_a_message_naming_it(Action<DdpmTrainerOptions> change, string message)
    {
        var options = new DdpmTrainerOptions();
        change(options);

        var act = () => new DdpmTrainer(options);

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Equal(message);
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:1")]
    [InlineData("CPU")]
    public void Well_formed_device_names_pass_validation(string device)
    {
        new DdpmTrainerOptionsValidator().Validate(null, new DdpmTrainerOptions { Device = device }).Succeeded.Should().BeTrue();
    }
}
