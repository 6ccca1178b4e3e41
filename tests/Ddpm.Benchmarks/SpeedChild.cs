using System.Diagnostics;
using System.Text.Json;
using Ddpm.Cli;
using Ddpm.Core;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Schedules;
using Ddpm.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary>What a <c>speed-child</c> process measures.</summary>
internal enum SpeedKind
{
    /// <summary>Ddpm.Core's <see cref="DdpmTrainer"/> and <see cref="DdpmSampler"/>.</summary>
    Library,

    /// <summary>A plain TorchSharp loop with no library machinery: the floor for the library's overhead.</summary>
    Bare,

    /// <summary>An fp32 matrix multiply of 2048x2048 matrices: the device's practical GEMM peak.</summary>
    Matmul,
}

/// <summary>
/// One measurement in its own process (so its peak memory is its own), printed as one JSON line in the
/// format of tests/reference/notebook_speed.py: the notebook's SimpleUNet (or the default UNet), L1 loss, Adam 1e-3,
/// T linear betas (300 by default), random images, EMA off, as the notebook trains; sampling is DDPM ancestral with
/// BatchNorm batch statistics, as the notebook samples.
/// </summary>
internal static class SpeedChild
{
    public static int Run(SpeedKind kind, bool training, SpeedSettings settings)
    {
        if (settings.Arenas > 0 && !NativeAllocator.LimitArenas(settings.Arenas))
        {
            throw new ArgumentException("--arenas needs glibc (Linux); leave it at 0 elsewhere.");
        }

        set_num_threads(settings.Threads);
        manual_seed(0);
        var result = new Dictionary<string, object>
        {
            ["implementation"] = kind == SpeedKind.Library ? "ddpm-core" : "torchsharp",
            ["mode"] = kind == SpeedKind.Matmul ? "matmul" : training ? "train" : "sample",
            ["device"] = settings.Device,
            ["threads"] = get_num_threads(),
            ["batchSize"] = settings.BatchSize,
            ["network"] = settings.Network,
            ["precision"] = settings.Precision,
        };

        if (kind == SpeedKind.Matmul)
        {
            result["gflopPerSecond"] = MatmulGflops(settings);
        }
        else
        {
            INetworkConfiguration configuration = settings.Configuration;
            if (settings.IsBFloat16 && (kind != SpeedKind.Library || !training))
            {
                throw new ArgumentException("--precision bf16 is measured for the library's training step only (TorchSharp has no autocast for a bare loop, and the sampler runs in float32).");
            }

            var shape = new ImageShape(settings.Channels, settings.ImageSize, settings.ImageSize);
            List<double> seconds = (kind, training) switch
            {
                (SpeedKind.Library, true) => LibraryTraining(configuration, shape, settings),
                (SpeedKind.Library, false) => LibrarySampling(configuration, shape, settings),
                (_, true) => BareTraining(configuration, shape, settings),
                _ => BareSampling(configuration, shape, settings),
            };
            result["stepSeconds"] = seconds;
            result["imagesPerSecond"] = settings.BatchSize / Timing.Median(seconds);
        }

        result["peakMemoryMiB"] = MemoryProbe.PeakMiB();
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static List<double> LibraryTraining(INetworkConfiguration configuration, ImageShape shape, SpeedSettings settings)
    {
        using Tensor images = (rand(4L * settings.BatchSize, shape.Channels, shape.Height, shape.Width) * 2) - 1;
        var trainer = new DdpmTrainer(new DdpmTrainerOptions
        {
            Network = configuration,
            MaxSteps = settings.Warmup + settings.Steps,
            BatchSize = settings.BatchSize,
            Timesteps = settings.Timesteps,
            Loss = LossType.L1,
            Ema = new EmaOptions { Enabled = false },
            // Against PyTorch in the same precision: never let Auto pick bfloat16 on one side only.
            Precision = settings.IsBFloat16 ? TrainingPrecision.BFloat16 : TrainingPrecision.Float32,
            Device = settings.Device,
            Threads = settings.Threads,
            Seed = 0,
            LogInterval = 1_000_000,
        });
        var elapsed = new List<TimeSpan> { TimeSpan.Zero };
        using DdpmModel model = trainer.Fit(new InMemoryImageDataset(images), new SynchronousProgress<TrainingProgress>(p => elapsed.Add(p.Elapsed)));
        return Timing.StepSeconds(elapsed, settings.Warmup);
    }

    private static List<double> LibrarySampling(INetworkConfiguration configuration, ImageShape shape, SpeedSettings settings)
    {
        Device device = settings.Device;
        nn.Module<Tensor, Tensor, Tensor> network = configuration.CreateNetwork();
        network.to(device);
        using var model = new DdpmModel(network, new NoiseScheduler(KnownBetaSchedules.Linear, settings.Timesteps, device), shape, configuration);
        var sampler = new DdpmSampler(new DdpmSamplerOptions
        {
            Method = SamplingMethod.Ddpm,
            Steps = Math.Min(settings.Timesteps, settings.Warmup + settings.Steps),
            BatchSize = settings.BatchSize,
            BatchNormMode = BatchNormMode.BatchStatistics,
            Device = settings.Device,
            Threads = settings.Threads,
            Seed = 0,
        });
        var elapsed = new List<TimeSpan> { TimeSpan.Zero };
        using Tensor images = sampler.Sample(model, settings.BatchSize, progress: new SynchronousProgress<SamplingProgress>(p => elapsed.Add(p.Elapsed)));
        return Timing.StepSeconds(elapsed, settings.Warmup);
    }

    /// <summary>The notebook's training step written directly against TorchSharp: no prefetch, no checks, no EMA.</summary>
    private static List<double> BareTraining(INetworkConfiguration configuration, ImageShape shape, SpeedSettings settings)
    {
        Device device = settings.Device;
        using nn.Module<Tensor, Tensor, Tensor> network = configuration.CreateNetwork();
        network.to(device).train();
        using var optimizer = optim.Adam(network.parameters(), 1e-3);
        (Tensor sqrtAlphaBar, Tensor sqrtOneMinusAlphaBar) = Terms(settings.Timesteps, device);
        using Tensor x0 = (rand(settings.BatchSize, shape.Channels, shape.Height, shape.Width, device: device) * 2) - 1;
        var seconds = new List<double>();
        for (int i = 0; i < settings.Warmup + settings.Steps; i++)
        {
            var clock = Stopwatch.StartNew();
            using (NewDisposeScope())
            {
                optimizer.zero_grad();
                Tensor t = randint(0, settings.Timesteps, [settings.BatchSize], device: device);
                Tensor noise = randn_like(x0);
                Tensor xt = (sqrtAlphaBar[t].view(-1, 1, 1, 1) * x0) + (sqrtOneMinusAlphaBar[t].view(-1, 1, 1, 1) * noise);
                Tensor loss = nn.functional.l1_loss(network.call(xt, t), noise);
                loss.backward();
                optimizer.step();
                _ = loss.item<float>();
            }

            seconds.Add(clock.Elapsed.TotalSeconds);
        }

        sqrtAlphaBar.Dispose();
        sqrtOneMinusAlphaBar.Dispose();
        return seconds.Skip(settings.Warmup).ToList();
    }

    /// <summary>The notebook's sample_timestep loop written directly against TorchSharp, the network in train mode as the notebook leaves it.</summary>
    private static List<double> BareSampling(INetworkConfiguration configuration, ImageShape shape, SpeedSettings settings)
    {
        Device device = settings.Device;
        using nn.Module<Tensor, Tensor, Tensor> network = configuration.CreateNetwork();
        network.to(device).train();
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Linear, settings.Timesteps, device);
        using var noGrad = no_grad();
        Tensor x = randn(settings.BatchSize, shape.Channels, shape.Height, shape.Width, device: device);
        var seconds = new List<double>();
        for (int i = 0; i < settings.Warmup + settings.Steps; i++)
        {
            int step = settings.Timesteps - 1 - (i % settings.Timesteps);
            var clock = Stopwatch.StartNew();
            using (var scope = NewDisposeScope())
            {
                Tensor t = full([settings.BatchSize], step, ScalarType.Int64, device: device);

                // Eq. 11: the mean of p(x_{t-1} | x_t), then the posterior-variance noise except at t = 0.
                Tensor mean = scheduler.SqrtRecipAlphas[step] * (x - (scheduler.Betas[step] * network.call(x, t) / scheduler.SqrtOneMinusAlphasCumprod[step]));
                Tensor next = step == 0 ? mean : mean + (scheduler.PosteriorVariance[step].sqrt() * randn_like(x));
                Tensor clamped = next.clamp(-1, 1);
                _ = clamped[0, 0, 0, 0].item<float>();
                x.Dispose();
                x = clamped.MoveToOuterDisposeScope();
            }

            seconds.Add(clock.Elapsed.TotalSeconds);
        }

        x.Dispose();
        return seconds.Skip(settings.Warmup).ToList();
    }

    private static double MatmulGflops(SpeedSettings settings)
    {
        const int N = 2048;
        Device device = settings.Device;
        using Tensor a = randn(N, N, device: device);
        using Tensor b = randn(N, N, device: device);
        var seconds = new List<double>();
        for (int i = 0; i < settings.Warmup + settings.Steps; i++)
        {
            var clock = Stopwatch.StartNew();
            using (Tensor c = a.mm(b))
            {
                _ = c[0, 0].item<float>();
            }

            seconds.Add(clock.Elapsed.TotalSeconds);
        }

        return 2.0 * N * N * N / Timing.Median(seconds.Skip(settings.Warmup).ToList()) / 1e9;
    }

    private static (Tensor SqrtAlphaBar, Tensor SqrtOneMinusAlphaBar) Terms(int timesteps, Device device)
    {
        using var scope = NewDisposeScope();
        Tensor alphaBar = (1 - linspace(1e-4, 0.02, timesteps, device: device)).cumprod(0);
        return (alphaBar.sqrt().MoveToOuterDisposeScope(), (1 - alphaBar).sqrt().MoveToOuterDisposeScope());
    }
}
