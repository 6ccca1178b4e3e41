using Ddpm.Core.Kernels;
using Ddpm.Core.Models;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Kernels;

/// <summary>The numerical self-check of the CPU kernels: it passes on the path this process uses, and it catches each kind of wrong kernel.</summary>
public sealed class CpuKernelCheckTests
{
    [Fact]
    public void The_check_passes_on_the_path_this_process_chose_in_float32_and_bfloat16()
    {
        CpuKernelSelection selection = CpuKernels.Ensure();

        CpuKernelCheckResult result = CpuKernelCheck.Run(bfloat16: true);

        result.Passed.Should().BeTrue("{0} was chosen because it passes: {1}", selection.Path, result);
        result.Cases.Should().HaveCount(2 * result.Cases.Count(c => !c.Name.EndsWith(" bf16", StringComparison.Ordinal)));
        result.Cases.Select(c => c.Name).Should().Contain(
            ["conv 24→48 3x3 s1 forward", "conv 1→24 3x3 s1 input-grad", "conv 24→1 3x3 s1 input-grad", "conv 48→48 3x3 s2 weight-grad",
             "transposed conv 64→32 4x4 s2 input-grad", "group norm 48/8 8x8 weight-grad", "conv 24→48 3x3 s1 forward bf16"]);
        result.Cases.Should().OnlyContain(c => c.Error < c.Tolerance);
    }

    [Fact]
    public void The_chosen_path_matches_float64_on_shapes_the_check_does_not_list()
    {
        CpuKernels.Ensure();
        using var scope = NewDisposeScope();
        using var generator = new Generator(5);
        foreach ((int input, int output, int kernel, int stride) in new[] { (56, 40, 3, 1), (20, 36, 3, 2), (12, 1, 3, 1), (80, 24, 1, 1) })
        {
            Tensor x = randn([5, input, 12, 12], ScalarType.Float64, generator: generator).requires_grad_(true);
            Tensor w = randn([output, input, kernel, kernel], ScalarType.Float64, generator: generator).requires_grad_(true);
            Tensor x32 = x.detach().to(ScalarType.Float32).requires_grad_(true);
            Tensor w32 = w.detach().to(ScalarType.Float32).requires_grad_(true);
            Tensor expected = nn.functional.conv2d(x, w, strides: [stride, stride], padding: [kernel / 2, kernel / 2]);
            Tensor actual = nn.functional.conv2d(x32, w32, strides: [stride, stride], padding: [kernel / 2, kernel / 2]);
            Tensor upstream = randn(expected.shape, ScalarType.Float64, generator: generator);
            IList<Tensor> expectedGradients = autograd.grad([expected], [x, w], [upstream]);
            IList<Tensor> actualGradients = autograd.grad([actual], [x32, w32], [upstream.to(ScalarType.Float32)]);

            RelativeError(actual, expected).Should().BeLessThan(1e-4, "forward {0}→{1} {2}x{2} s{3}", input, output, kernel, stride);
            RelativeError(actualGradients[0], expectedGradients[0]).Should().BeLessThan(1e-4, "input gradient {0}→{1}", input, output);
            RelativeError(actualGradients[1], expectedGradients[1]).Should().BeLessThan(1e-4, "weight gradient {0}→{1}", input, output);
        }
    }

    [Fact]
    public void The_default_network_computes_in_float32_what_it_computes_in_float64_on_the_chosen_path()
    {
        CpuKernels.Ensure();
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var network32 = UNetPresets.Small(1).CreateNetwork();
        using var network64 = UNetPresets.Small(1).CreateNetwork();
        using var generator = new Generator(11);
        using (no_grad())
        {
            // The UNet starts with a zero output layer; random weights everywhere make every layer count.
            foreach (var parameter in network32.parameters())
            {
                parameter.copy_(randn(parameter.shape, generator: generator) * 0.2);
            }
        }

        network64.load_state_dict(network32.state_dict());
        network64.to(ScalarType.Float64);
        foreach (SinusoidalPositionEmbedding embedding in network64.modules().OfType<SinusoidalPositionEmbedding>())
        {
            embedding.OutputType = ScalarType.Float64;
        }

        network32.eval();
        network64.eval();
        Tensor x = randn([4, 1, 32, 32], ScalarType.Float64, generator: generator);
        Tensor t = tensor(new long[] { 0, 10, 500, 999 });

        using var noGrad = no_grad();
        Tensor expected = network64.call(x, t);
        Tensor actual = network32.call(x.to(ScalarType.Float32), t);

        RelativeError(actual, expected).Should().BeLessThan(1e-4);
    }

    [Fact]
    public void A_wrong_forward_convolution_fails_the_check_naming_the_cases_and_sparing_the_right_ones()
    {
        CpuKernelCheckResult result = CpuKernelCheck.Run(false, FaultyKernels.WrongForwardForOddChannels);

        result.Passed.Should().BeFalse();
        result.Failures.Select(f => f.Name).Should().Contain(["conv 24→48 3x3 s1 forward", "conv 1→24 3x3 s1 forward", "conv 72→72 3x3 s1 forward"]);
        result.Failures.Should().NotContain(f => f.Name.StartsWith("conv 64→64", StringComparison.Ordinal) || f.Name.StartsWith("group norm", StringComparison.Ordinal));
        result.Failures[0].Error.Should().BeApproximately(0.01, 0.002);
        result.ToString().Should().Contain("wrong: conv").And.Contain("error 0.01 (tolerance 0.0001)");
    }

    [Fact]
    public void NaN_from_a_convolution_counts_as_an_infinite_error()
    {
        CpuKernelCheckResult result = CpuKernelCheck.Run(false, FaultyKernels.NaNEverywhere);

        result.Passed.Should().BeFalse();
        result.Failures.Should().Contain(f => f.Name == "transposed conv 128→64 4x4 s2 forward")
            .Which.Error.Should().Be(double.PositiveInfinity);
        result.Failures.First().ToString().Should().Contain("error NaN/inf");
    }

    [Fact]
    public void A_convolution_wrong_only_in_its_input_gradient_is_caught()
    {
        CpuKernelCheckResult result = CpuKernelCheck.Run(false, FaultyKernels.WrongInputGradient);

        result.Passed.Should().BeFalse();
        result.Failures.Should().OnlyContain(f => f.Name.EndsWith("input-grad", StringComparison.Ordinal));
        result.Failures.Should().HaveCount(16, "every convolution case's input gradient, and nothing else");
    }

    [Fact]
    public void Wrong_bfloat16_kernels_fail_only_the_bfloat16_cases_and_only_when_asked_for()
    {
        CpuKernelCheck.Run(false, FaultyKernels.WrongBFloat16).Passed.Should().BeTrue();

        CpuKernelCheckResult result = CpuKernelCheck.Run(true, FaultyKernels.WrongBFloat16);

        result.Passed.Should().BeFalse();
        result.BFloat16.Should().BeTrue();
        result.Failures.Should().OnlyContain(f => f.Name.EndsWith(" bf16", StringComparison.Ordinal));
    }

    private static double RelativeError(Tensor actual, Tensor expected) =>
        (actual.to(ScalarType.Float64) - expected).abs().max().item<double>() / expected.abs().max().item<double>();
}
