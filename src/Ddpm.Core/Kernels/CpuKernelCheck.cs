using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Kernels;

/// <summary>
/// A numerical self-check of the CPU kernels the library's networks run, in the manner of PyTorch's
/// <c>test_nn.py</c> and oneDNN's <c>benchdnn</c>: each float32 result (forward, input gradient and
/// weight gradient) is compared with the same computation in float64, which libtorch runs with its
/// own reference kernels, never oneDNN's. The shapes are the ones the networks use and the ones
/// known to break: channel counts that are and are not multiples of 16, 1x1 and 3x3 kernels, stride
/// 1 and 2, the 4x4 stride-2 transposed convolution of SimpleUNet, one- and three-channel image
/// convolutions, GroupNorm, BatchNorm, linear layers and attention's batched matrix products.
/// It draws its inputs from its own generator (the global random state is untouched) and takes
/// a few hundred milliseconds.
/// </summary>
public static class CpuKernelCheck
{
    /// <summary>The largest relative error a float32 result may have; rounding gives about 1e-6, wrong kernels 1e-1 or NaN.</summary>
    public const double Float32Tolerance = 1e-4;

    /// <summary>The largest relative error a bfloat16 result may have: 8 significant bits give about 4e-3 per rounding, and attention rounds several times (about 1e-2 measured); wrong kernels give 1e-1 or NaN.</summary>
    public const double BFloat16Tolerance = 5e-2;

    private static readonly (int In, int Out, int Kernel, int Stride, int Size)[] Convolutions =
    [
        (1, 24, 3, 1, 16),   // a grayscale image into the first level (batch 8; the rest of the list uses 5)
        (3, 32, 3, 1, 16),   // an RGB image into the first level
        (24, 24, 3, 1, 16),
        (24, 48, 3, 1, 16),
        (40, 40, 3, 1, 8),
        (48, 48, 3, 2, 16),  // downsampling
        (72, 72, 3, 1, 8),
        (64, 64, 3, 1, 8),
        (128, 128, 3, 2, 8),
        (48, 96, 1, 1, 8),   // residual shortcuts
        (96, 48, 1, 1, 8),
        (24, 1, 3, 1, 16),   // back to a grayscale image
        (32, 3, 3, 1, 16),   // back to an RGB image
        (64, 3, 1, 1, 16),   // SimpleUNet's 1x1 output
        (12, 24, 3, 1, 12),  // input channels that are 4 more than a multiple of 8, at an odd batch: wrong at AVX on Zen 5 VMs
        (20, 36, 3, 2, 12),
    ];

    private static readonly (int In, int Out, int Size)[] TransposedConvolutions = [(64, 32, 8), (128, 64, 4)];

    /// <summary>
    /// Runs the check on the CPU kernels in effect now, changing nothing. <see cref="CpuKernels.Ensure"/>
    /// runs it for you before the first CPU training or sampling step; call this to report on a machine.
    /// </summary>
    /// <param name="bfloat16">Also check the bfloat16 kernels that <see cref="Training.TrainingPrecision.BFloat16"/> training uses.</param>
    /// <returns>Every case and the time taken.</returns>
    public static CpuKernelCheckResult Run(bool bfloat16 = false) => Run(bfloat16, KernelFunctions.LibTorch);

    /// <summary>Runs the check with the given convolutions (tests pass faulty ones).</summary>
    internal static CpuKernelCheckResult Run(bool bfloat16, KernelFunctions functions)
    {
        var clock = Stopwatch.StartNew();
        var cases = new List<CpuKernelCaseResult>();
        using var generator = new Generator(20260101);
        using var grad = enable_grad();
        foreach (ScalarType type in bfloat16 ? new[] { ScalarType.Float32, ScalarType.BFloat16 } : [ScalarType.Float32])
        {
            var checker = new Checker(generator, type, cases);
            foreach (var (input, output, kernel, stride, size) in Convolutions)
            {
                checker.Convolution(functions.Conv2d, $"conv {input}→{output} {kernel}x{kernel} s{stride}", input == 1 ? 8 : 5, input, output, kernel, stride, kernel / 2, size, transposed: false);
            }

            foreach (var (input, output, size) in TransposedConvolutions)
            {
                checker.Convolution(functions.ConvTranspose2d, $"transposed conv {input}→{output} 4x4 s2", 4, input, output, 4, 2, 1, size, transposed: true);
            }

            checker.GroupNorm(8, 48, 8);
            checker.GroupNorm(8, 24, 16);
            checker.BatchNorm(64, 8);
            checker.Linear(96, 144);
            checker.Attention(4, 64, 24);
        }

        return new CpuKernelCheckResult(cases, clock.Elapsed, bfloat16);
    }

    /// <summary>Compares one precision's results with float64 ones on inputs drawn from a shared generator.</summary>
    private sealed class Checker(Generator generator, ScalarType type, List<CpuKernelCaseResult> cases)
    {
        private readonly double _tolerance = type == ScalarType.BFloat16 ? BFloat16Tolerance : Float32Tolerance;
        private readonly string _suffix = type == ScalarType.BFloat16 ? " bf16" : string.Empty;

        public void Convolution(Func<Tensor, Tensor, long, long, Tensor> convolution, string name, int batch, int input, int output, int kernel, int stride, int padding, int size, bool transposed)
        {
            using var scope = NewDisposeScope();
            Tensor x = Draw([batch, input, size, size]);
            Tensor w = Draw(transposed ? [input, output, kernel, kernel] : [output, input, kernel, kernel], scale: 1 / Math.Sqrt(input * kernel * kernel));
            Compare(name, [x, w], inputs => convolution(inputs[0], inputs[1], stride, padding), ["forward", "input-grad", "weight-grad"]);
        }

        public void GroupNorm(int groups, int channels, int size)
        {
            using var scope = NewDisposeScope();
            Tensor x = Draw([4, channels, size, size], scale: 3, shift: 1);
            Tensor weight = Draw([channels]);
            Tensor bias = Draw([channels]);

            // Normalisation keeps float32 parameters under bfloat16 compute, as MixedPrecision does.
            Compare($"group norm {channels}/{groups} {size}x{size}", [x, weight, bias], inputs => nn.functional.group_norm(inputs[0], groups, inputs[1], inputs[2]), ["forward", "input-grad", "weight-grad", "bias-grad"], parametersFloat32: true);
        }

        public void BatchNorm(int channels, int size)
        {
            using var scope = NewDisposeScope();
            Tensor x = Draw([4, channels, size, size], scale: 2, shift: -1);
            Tensor weight = Draw([channels]);
            Tensor bias = Draw([channels]);
            Compare($"batch norm {channels} {size}x{size}", [x, weight, bias], inputs => nn.functional.batch_norm(inputs[0], null, null, inputs[1], inputs[2], training: true), ["forward", "input-grad", "weight-grad", "bias-grad"], parametersFloat32: true);
        }

        public void Linear(int input, int output)
        {
            using var scope = NewDisposeScope();
            Tensor x = Draw([64, input]);
            Tensor w = Draw([output, input], scale: 1 / Math.Sqrt(input));
            Compare($"linear {input}→{output}", [x, w], inputs => nn.functional.linear(inputs[0], inputs[1]), ["forward", "input-grad", "weight-grad"]);
        }

        public void Attention(int heads, int tokens, int dimension)
        {
            using var scope = NewDisposeScope();
            Tensor q = Draw([heads, tokens, dimension]);
            Tensor k = Draw([heads, tokens, dimension]);
            Tensor v = Draw([heads, tokens, dimension]);
            Compare(
                $"attention {heads}x{tokens}x{dimension}",
                [q, k, v],
                inputs => bmm(softmax(bmm(inputs[0], inputs[1].transpose(1, 2)).Over(Math.Sqrt(dimension)), -1), inputs[2]),
                ["forward", "query-grad", "key-grad", "value-grad"]);
        }

        /// <summary>Draws float64 values that the checked precision represents exactly, so both sides see the same inputs.</summary>
        private Tensor Draw(long[] shape, double scale = 1, double shift = 0) =>
            randn(shape, ScalarType.Float64, generator: generator).Times(scale).Plus(shift).to(type).to(ScalarType.Float64);

        private void Compare(string name, Tensor[] inputs, Func<Tensor[], Tensor> compute, string[] quantities, bool parametersFloat32 = false)
        {
            (Tensor Output, IList<Tensor> Gradients) Evaluate(ScalarType precision)
            {
                Tensor[] leaves = inputs
                    .Select((t, i) => t.to(parametersFloat32 && i > 0 && precision != ScalarType.Float64 ? ScalarType.Float32 : precision).detach().requires_grad_(true))
                    .ToArray();
                Tensor output = compute(leaves);
                Tensor upstream = randn(output.shape, ScalarType.Float64, generator: generator).to(type).to(output.dtype);
                return (output, autograd.grad([output], leaves, [upstream]));
            }

            // The upstream gradient is drawn once per side from the same generator state.
            Tensor state = generator.get_state();
            var (actual, actualGradients) = Evaluate(type);
            generator.set_state(state);
            var (expected, expectedGradients) = Evaluate(ScalarType.Float64);
            Add($"{name} {quantities[0]}", actual, expected);
            for (int i = 0; i < actualGradients.Count; i++)
            {
                Add($"{name} {quantities[i + 1]}", actualGradients[i], expectedGradients[i]);
            }
        }

        private void Add(string name, Tensor actual, Tensor expected)
        {
            double difference = (actual.to(ScalarType.Float64) - expected).abs().max().item<double>();
            double scale = expected.abs().max().item<double>();
            double error = double.IsFinite(difference) ? difference / Math.Max(scale, 1e-30) : double.PositiveInfinity;
            cases.Add(new CpuKernelCaseResult(name + _suffix, error, _tolerance));
        }
    }
}
