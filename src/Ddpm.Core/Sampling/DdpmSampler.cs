using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Sampling;

/// <summary>
/// Draws images from a trained <see cref="DdpmModel"/> by ancestral sampling (Ho et al. 2020,
/// Algorithm 2), as the notebook does: x_T ~ N(0, I); for t = T-1..0,
/// x_{t-1} = 1/√α_t (x_t - β_t/√(1-ᾱ_t) ε_θ(x_t, t)) + σ_t z with σ_t² = β̃_t and z ~ N(0, I),
/// except at t = 0 where the mean is returned; each step clamped to [-1, 1].
/// Sampling never changes the model: training flags and BatchNorm statistics are restored.
/// </summary>
public sealed class DdpmSampler
{
    private readonly ILogger _logger;

    /// <summary>Creates a sampler; the options are validated now.</summary>
    /// <param name="options">The options; null uses the defaults.</param>
    /// <param name="logger">Receives the start and end of each run; null logs nothing.</param>
    /// <exception cref="OptionsValidationException">An option is out of range; the message names each one.</exception>
    public DdpmSampler(DdpmSamplerOptions? options = null, ILogger<DdpmSampler>? logger = null)
    {
        Options = OptionsGuard.Validated(options ?? new DdpmSamplerOptions(), new DdpmSamplerOptionsValidator());

        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Gets the options the sampler was created with.</summary>
    public DdpmSamplerOptions Options { get; }

    /// <summary>Samples <paramref name="count"/> images.</summary>
    /// <param name="model">The trained model.</param>
    /// <param name="count">How many images; at least 1.</param>
    /// <param name="onStep">Called after every reverse step of every batch with x_{t-1} (the notebook's denoising strip); null for none.</param>
    /// <param name="progress">Receives a report after every reverse step; null for none.</param>
    /// <param name="cancellationToken">Stops after the current step; the method then throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>Images of shape [count, C, H, W] with values in [-1, 1], on the CPU; the caller owns the tensor.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is less than 1.</exception>
    /// <exception cref="InvalidOperationException">The requested device is unavailable or differs from the model's.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public Tensor Sample(
        DdpmModel model,
        int count,
        Action<SamplingStep>? onStep = null,
        IProgress<SamplingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Device device = ResolveDevice(model);
        int seed = Options.Seed ?? Random.Shared.Next();
        int batchCount = (count + Options.BatchSize - 1) / Options.BatchSize;
        int timesteps = model.Scheduler.Timesteps;
        long totalSteps = (long)batchCount * timesteps;
        _logger.LogInformation(
            "Sampling {Count} images of {Shape} on {Device}: {Batches} batch(es), {T} steps, seed {Seed}, {Weights} weights, BatchNorm {Mode}",
            count, model.ImageShape, device, batchCount, timesteps, seed, model.EmaNetwork is null ? ModelWeights.Trained : Options.Weights, Options.BatchNormMode);

        nn.Module<Tensor, Tensor, Tensor> network = Options.Weights == ModelWeights.Ema && model.EmaNetwork is not null
            ? model.EmaNetwork
            : model.Network;
        var clock = Stopwatch.StartNew();
        var batches = new List<Tensor>(batchCount);
        try
        {
            using var generator = new Generator((ulong)seed, device);
            using var mode = new NetworkModeScope(network, Options.BatchNormMode);
            using var noGrad = no_grad();
            for (int batch = 0; batch < batchCount; batch++)
            {
                int size = Math.Min(Options.BatchSize, count - (batch * Options.BatchSize));
                batches.Add(SampleBatch(model, network, size, batch, batchCount, device, generator, onStep, progress, clock, cancellationToken));
            }

            using var scope = NewDisposeScope();
            return cat(batches, dim: 0).MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (Tensor batch in batches)
            {
                batch.Dispose();
            }

            _logger.LogInformation("Sampled {Count} images in {Elapsed}", count, clock.Elapsed);
        }
    }

    private Tensor SampleBatch(
        DdpmModel model,
        nn.Module<Tensor, Tensor, Tensor> network,
        int size,
        int batch,
        int batchCount,
        Device device,
        Generator generator,
        Action<SamplingStep>? onStep,
        IProgress<SamplingProgress>? progress,
        Stopwatch clock,
        CancellationToken cancellationToken)
    {
        var shape = new long[] { size, model.ImageShape.Channels, model.ImageShape.Height, model.ImageShape.Width };
        int timesteps = model.Scheduler.Timesteps;
        Tensor x = randn(shape, device: device, generator: generator);
        try
        {
            for (int t = timesteps - 1; t >= 0; t--)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Tensor previous = ReverseStep(model.Scheduler, network, x, t, generator);
                x.Dispose();
                x = previous;
                onStep?.Invoke(new SamplingStep(t, batch, x));
                progress?.Report(new SamplingProgress(
                    ((long)batch * timesteps) + (timesteps - t), (long)batchCount * timesteps, batch, batchCount, clock.Elapsed));
            }

            using var scope = NewDisposeScope();
            return x.clamp(-1, 1).cpu().MoveToOuterDisposeScope();
        }
        finally
        {
            x.Dispose();
        }
    }

    /// <summary>One step of Algorithm 2 inside its own dispose scope: x_t → x_{t-1}.</summary>
    private Tensor ReverseStep(Diffusion.NoiseScheduler scheduler, nn.Module<Tensor, Tensor, Tensor> network, Tensor x, int t, Generator generator)
    {
        using var scope = NewDisposeScope();
        Tensor timestep = full(new long[] { x.shape[0] }, t, dtype: ScalarType.Int64, device: x.device);
        Tensor predictedNoise = network.call(x, timestep);

        // μ_θ(x_t, t) (eq. 11).
        Tensor previous = scheduler.PredictPreviousMeanCore(x, timestep, predictedNoise);
        if (t > 0)
        {
            // + σ_t z with σ_t² = β̃_t (the posterior variance, Ho et al. §3.2).
            Tensor sigma = scheduler.PosteriorVariance[t].sqrt();
            previous = previous + (sigma * randn(x.shape, dtype: x.dtype, device: x.device, generator: generator));
        }

        if (Options.ClampEachStep)
        {
            previous = previous.clamp(-1, 1);
        }

        return previous.MoveToOuterDisposeScope();
    }

    private Device ResolveDevice(DdpmModel model)
    {
        if (Options.Device is null)
        {
            return model.Device;
        }

        Device device = TorchDevices.Resolve(Options.Device, "DdpmSamplerOptions.Device");
        if (device.type != model.Device.type || (device.type == DeviceType.CUDA && device.index != model.Device.index))
        {
            throw new InvalidOperationException(
                $"DdpmSamplerOptions.Device is \"{Options.Device}\" but the model lives on {model.Device}; move the model there first or leave Device null.");
        }

        return device;
    }
}
