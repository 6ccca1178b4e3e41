using System.Globalization;
using Ddpm.Core.Kernels;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.TestSupport;

/// <summary>
/// How closely a float32 result computed here must match a reference fixture that PyTorch computed in float32 on
/// another machine (tests/reference). The two are float32 approximations of the same float64 value made by different
/// kernels (CPUs and kernel paths round differently), so they are never expected to be equal bit for bit.
/// </summary>
/// <remarks>
/// <para>
/// The measure is the kernel check's (<see cref="CpuKernelCheck"/>): the largest absolute difference divided by the
/// largest absolute reference value. The check admits a kernel path only where each of its float32 cases is within
/// <see cref="CpuKernelCheck.Float32Tolerance"/> (1e-4) of float64 in that measure; on every path of a Zen 4 it
/// measured at most 1.5e-6 per case (tests/reference/README.md, "Which fixtures hold on every CPU").
/// </para>
/// <para>
/// Each tolerance below is the smallest 1-2-5 step at least ten times the largest error measured for that comparison
/// on any of the four kernel paths, and none is above the check's bound, so a kernel path the check admits passes
/// while a wrong equation still fails: a 1% error in DPM-Solver++(2M)'s second-order weight moves the sampler states
/// by 6.3e-6 in this measure, above <see cref="SamplerStates"/>. Set <c>DDPM_REFERENCE_ERRORS</c> to a file to have
/// every comparison append its measured error there.
/// </para>
/// </remarks>
internal static class ReferenceTolerance
{
    /// <summary>Sampler states after each of 10 steps of the small notebook network (largest measured: 4.3e-7).</summary>
    public const double SamplerStates = 5e-6;

    /// <summary>A training step's loss and the norm of all its gradients (largest measured: 1.1e-7 and 5.7e-7).</summary>
    public const double TrainingLoss = 1e-5;

    /// <summary>Whole gradients of single parameters after a training step's backward pass (largest measured: 5.8e-6).</summary>
    public const double Gradients = 1e-4;

    /// <summary>The UNet against its PyTorch twin, one forward pass (largest measured: 1.8e-6).</summary>
    public const double UNetOutputs = 2e-5;

    /// <summary>The notebook's SimpleUNet, one forward pass; train mode normalises by a batch of 2 (largest measured: 6.0e-6).</summary>
    public const double SimpleUNetOutputs = 1e-4;

    /// <summary>The notebook's 300-step DDPM trajectory, clamped to [-1, 1] at every step (largest measured: 2.9e-6).</summary>
    public const double NotebookTrajectory = 1e-4;

    private static readonly Lock LogGate = new();

    /// <summary>max |actual − expected| / max |expected|, computed in float64.</summary>
    private static double Error(Tensor actual, Tensor expected)
    {
        actual.shape.Should().Equal(expected.shape);
        using var scope = NewDisposeScope();
        Tensor want = expected.to(ScalarType.Float64);
        double difference = (actual.to(ScalarType.Float64) - want).abs().max().item<double>();
        double size = want.abs().max().item<double>();
        return difference / Math.Max(size, 1e-30);
    }

    /// <summary>Asserts that <paramref name="actual"/> matches the reference <paramref name="expected"/> within <paramref name="tolerance"/> in the check's measure.</summary>
    /// <param name="actual">The result computed here.</param>
    /// <param name="expected">The fixture's value.</param>
    /// <param name="tolerance">One of this class's tolerances.</param>
    /// <param name="what">Names the comparison in the failure message and in the measured-error log.</param>
    public static void ShouldMatchReference(this Tensor actual, Tensor expected, double tolerance, string what) =>
        Check(Error(actual, expected), tolerance, what);

    /// <summary>Asserts that a scalar matches the reference within <paramref name="tolerance"/>, relative to the reference's size.</summary>
    public static void ShouldMatchReference(this double actual, double expected, double tolerance, string what) =>
        Check(Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-30), tolerance, what);

    private static void Check(double error, double tolerance, string what)
    {
        if (Environment.GetEnvironmentVariable("DDPM_REFERENCE_ERRORS") is { Length: > 0 } log)
        {
            string path = CpuKernels.Current is { } selection ? CpuKernels.Name(selection.Path) : "none";
            lock (LogGate)
            {
                File.AppendAllText(log, string.Create(CultureInfo.InvariantCulture, $"{path}\t{what}\t{error:E3}{Environment.NewLine}"));
            }
        }

        error.Should().BeLessThanOrEqualTo(tolerance, $"{what} matches the reference (max |difference| / max |reference|)");
    }
}
