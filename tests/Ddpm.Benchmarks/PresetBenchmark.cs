using System.Diagnostics;
using Ddpm.Core.Data;
using Ddpm.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary>
/// Sizes the UNet presets: parameters and forward GFLOP per image at the sizes the docs quote, and,
/// with <c>--measure</c>, CPU training and sampling throughput for 1-channel 32x32 images (the
/// Fashion-MNIST quality bar), each the median of timed steps after warm-up.
/// </summary>
internal static class PresetBenchmark
{
    private static readonly (string Name, Func<int, UNetConfiguration> Create)[] Presets =
    [
        ("tiny", UNetPresets.Tiny),
        ("small", UNetPresets.Small),
        ("medium", UNetPresets.Medium),
        ("base", UNetPresets.Base),
        ("large", UNetPresets.Large),
    ];

    public static int Run(bool measure, int batch, int steps, string? only, int? baseChannels)
    {
        torch.set_num_threads(Environment.ProcessorCount);
        Console.WriteLine("| Preset | Parameters (1 ch) | GFLOP 1x32x32 | Parameters (3 ch) | GFLOP 3x32x32 | GFLOP 3x64x64 |" + (measure ? " train img/s 1x32x32 | sample img-steps/s 1x32x32 |" : string.Empty));
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |" + (measure ? " ---: | ---: |" : string.Empty));
        foreach ((string name, Func<int, UNetConfiguration> preset) in Presets.Where(p => only is null || p.Name == only))
        {
            // --base-channels tries another width of the same layout, for sizing a preset.
            UNetConfiguration Create(int channels)
            {
                UNetConfiguration configuration = preset(channels);
                configuration.BaseChannels = baseChannels ?? configuration.BaseChannels;
                return configuration;
            }

            using var grey = (UNet)Create(1).CreateNetwork();
            using var colour = (UNet)Create(3).CreateNetwork();
            string row = $"| {name} | {Count(grey):N0} | {Gflop(grey, new ImageShape(1, 32, 32)):F2} | {Count(colour):N0} | {Gflop(colour, new ImageShape(3, 32, 32)):F2} | {Gflop(colour, new ImageShape(3, 64, 64)):F2} |";
            if (measure)
            {
                row += $" {TrainingThroughput(grey, batch, steps):F1} | {SamplingThroughput(grey, batch, steps):F1} |";
            }

            Console.WriteLine(row);
        }

        return 0;
    }

    private static long Count(nn.Module network) => network.parameters().Sum(p => p.numel());

    private static double Gflop(UNet network, ImageShape shape) => FlopCounter.ForwardFlopsPerImage(network, shape) / 1e9;

    /// <summary>Images per second of a full training step (forward, L1 loss, backward, Adam), median of <paramref name="steps"/>.</summary>
    private static double TrainingThroughput(UNet network, int batch, int steps)
    {
        network.train();
        using var optimizer = optim.Adam(network.parameters(), 1e-3);
        var times = new List<double>();
        for (int i = 0; i < steps + 3; i++)
        {
            using var scope = NewDisposeScope();
            Tensor x = randn(batch, 1, 32, 32);
            Tensor t = randint(0, 300, [batch]);
            var clock = Stopwatch.StartNew();
            optimizer.zero_grad();
            Tensor loss = nn.functional.l1_loss(network.call(x, t), x);
            loss.backward();
            optimizer.step();
            clock.Stop();
            if (i >= 3)
            {
                times.Add(batch / clock.Elapsed.TotalSeconds);
            }
        }

        return Timing.Median(times);
    }

    /// <summary>Images times steps per second of sampling forward passes (no gradients, eval mode), median of <paramref name="steps"/>.</summary>
    private static double SamplingThroughput(UNet network, int batch, int steps)
    {
        network.eval();
        using var noGrad = no_grad();
        var times = new List<double>();
        for (int i = 0; i < steps + 3; i++)
        {
            using var scope = NewDisposeScope();
            Tensor x = randn(batch, 1, 32, 32);
            Tensor t = full([batch], 150L, ScalarType.Int64);
            var clock = Stopwatch.StartNew();
            network.call(x, t);
            clock.Stop();
            if (i >= 3)
            {
                times.Add(batch / clock.Elapsed.TotalSeconds);
            }
        }

        return Timing.Median(times);
    }
}
