using Ddpm.Core.Kernels;
using Ddpm.Core.Training;
using FluentAssertions;

namespace Ddpm.Core.Tests.Training;

/// <summary>What a divergence says about the CPU kernels: only where wrong kernels are a likely cause, in a fresh run's first steps.</summary>
public sealed class TrainingDivergedExceptionTests
{
    private static readonly CpuKernelSelection Passed = new(
        CpuKernelPath.OneDnnOff,
        "onednn-off was asked for.",
        [new CpuKernelAttempt(CpuKernelPath.OneDnnOff, new CpuKernelCheckResult([new CpuKernelCaseResult("conv 24→48 3x3 s1 forward", 2e-7, 1e-4)], TimeSpan.FromMilliseconds(12), false), null)],
        "TestVendor family 99 model 1",
        cacheTopologyHidden: false);

    [Fact]
    public void A_fresh_run_that_diverges_early_says_the_kernel_check_passed()
    {
        var e = new TrainingDivergedException(3, double.NaN, 1e-3, null, Passed, freshRun: true);

        e.Message.Should().Be(
            "The training loss became NaN at step 3. Lower the learning rate (it was 0.001), set MaxGradNorm (for example 1.0) or add warm-up steps, and check the data for NaN or infinite values."
            + " The CPU kernel check passed before training (oneDNN off (libtorch's own kernels): 1 of 1 cases within tolerance in 12 ms), so wrong CPU kernels are an unlikely cause.");
        e.CpuKernels.Should().BeSameAs(Passed);
    }

    [Fact]
    public void A_fresh_run_off_the_CPU_says_the_check_did_not_run()
    {
        var e = new TrainingDivergedException(1, double.PositiveInfinity, 1e-3, "/runs/a/checkpoint-00000000.ddpm", cpuKernels: null, freshRun: true);

        e.Message.Should().Contain(" The CPU kernel check did not run (the run is not on the CPU), so wrong GPU kernels remain possible: compare with a short CPU run. The last good checkpoint is '/runs/a/checkpoint-00000000.ddpm'.");
    }

    [Theory]
    [InlineData(TrainingDivergedException.EarlySteps + 1, true)]
    [InlineData(2, false)]
    public void Late_or_resumed_divergence_does_not_mention_the_kernels(long step, bool freshRun)
    {
        var e = new TrainingDivergedException(step, double.NaN, 1e-3, null, Passed, freshRun);

        e.Message.Should().NotContain("kernel");
    }
}
