using Ddpm.Core;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Kernels;
using Ddpm.Core.Models;
using Ddpm.Core.Schedules;
using Ddpm.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary>
/// <c>bf16-agreement</c>: the network's ε̂ in float32 against the bfloat16 compute copy the trainer uses for
/// <see cref="TrainingPrecision.BFloat16"/> (same weights, same inputs x_t at t from 0 to T-1), on one device. Prints
/// the relative L2 error ‖ε̂_bf16 - ε̂_fp32‖/‖ε̂_fp32‖ and the cosine similarity per timestep, and fails (exit 1) where
/// the relative error exceeds the tolerance (docs/gpu.md: 0.05 by default, about 13 bfloat16 roundings of 2^-8 each).
/// This is the CUDA counterpart of the CPU kernel check, which is a CPU matter.
/// </summary>
internal static class PrecisionAgreement
{
    public static int Run(string device, string? modelPath, int batchSize, int imageSize, int channels, double tolerance)
    {
        if (!device.StartsWith("cuda", StringComparison.Ordinal))
        {
            // The trainer and sampler choose checked CPU kernels; this program calls the networks itself, so it must too.
            Console.WriteLine($"CPU kernels: {CpuKernels.Ensure(bfloat16: true).Path}");
        }

        manual_seed(0);
        using DdpmModel model = modelPath is null
            ? Untrained(device, imageSize, channels)
            : DdpmModel.Load(modelPath, device);
        INetworkConfiguration configuration = model.Configuration
            ?? throw new ArgumentException($"--model '{modelPath}' has no network configuration, which the bfloat16 copy is built from.");
        nn.Module<Tensor, Tensor, Tensor> network = model.EmaNetwork ?? model.Network;
        network.eval();
        using MixedPrecision half = MixedPrecision.Create(configuration, network, device);
        half.CopyWeightsIn();
        half.Network.eval();
        ImageShape shape = model.ImageShape;
        int timesteps = model.Scheduler.Timesteps;
        Console.WriteLine($"bf16 against fp32 forward on {device}: {configuration} ({model.ParameterCount:N0} parameters){(modelPath is null ? ", random weights (seed 0; zero-initialised layers drawn from N(0, 0.05²))" : $" from {modelPath}")}, batch {batchSize} of {shape}, T = {timesteps}; tolerance {tolerance}");
        Console.WriteLine($"{"t",6} {"relative L2",12} {"cosine",10} {"max |diff|",11}");
        double worst = 0;
        using var noGrad = no_grad();
        foreach (int t in new[] { 0, timesteps / 10, timesteps / 4, timesteps / 2, (3 * timesteps) / 4, timesteps - 1 }.Distinct())
        {
            using var scope = NewDisposeScope();
            Tensor x0 = (rand(batchSize, shape.Channels, shape.Height, shape.Width, device: device) * 2) - 1;
            Tensor steps = full([batchSize], t, ScalarType.Int64, device: device);
            Tensor noisy = model.Scheduler.AddNoise(x0, randn_like(x0), steps);
            Tensor single = network.call(noisy, steps);
            Tensor half16 = half.Network.call(noisy.to(ScalarType.BFloat16), steps).to(ScalarType.Float32);
            double relative = ((half16 - single).norm() / single.norm()).item<float>();
            double cosine = nn.functional.cosine_similarity(half16.flatten(), single.flatten(), dim: 0).item<float>();
            double largest = (half16 - single).abs().max().item<float>();
            worst = Math.Max(worst, relative);
            Console.WriteLine($"{t,6} {relative,12:E3} {cosine,10:F6} {largest,11:E3}");
        }

        bool pass = worst <= tolerance;
        Console.WriteLine($"Worst relative L2 error {worst:E3}: {(pass ? "within" : "OUTSIDE")} the tolerance {tolerance}");
        return pass ? 0 : 1;
    }

    private static DdpmModel Untrained(string device, int imageSize, int channels)
    {
        var configuration = new UNetConfiguration { ImageChannels = channels };
        nn.Module<Tensor, Tensor, Tensor> network = configuration.CreateNetwork();
        using (NewDisposeScope())
        using (no_grad())
        {
            // The UNet's last convolution starts at zero (so does its output); random values there make the comparison mean something.
            foreach (Tensor parameter in network.parameters().Where(p => p.count_nonzero().item<long>() == 0))
            {
                parameter.normal_(0, 0.05);
            }
        }

        network.to(device);
        return new DdpmModel(network, new NoiseScheduler(KnownBetaSchedules.Linear, 1000, device), new ImageShape(channels, imageSize, imageSize), configuration);
    }
}
