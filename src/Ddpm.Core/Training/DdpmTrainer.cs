using System.Diagnostics;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ddpm.Core.Training;

/// <summary>
/// Trains a denoising network on a dataset of images (Ho et al. 2020, Algorithm 1): for each batch,
/// draw t ~ U{0..T-1} and ε ~ N(0, I), form x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε, and take an Adam step on
/// the loss between ε_θ(x_t, t) and ε. <see cref="Fit(IImageDataset, IProgress{TrainingProgress}?, CancellationToken)"/>
/// returns a new <see cref="DdpmModel"/>; the trainer keeps no state between calls and can be reused.
/// </summary>
public sealed class DdpmTrainer
{
    private const double SmoothingWeight = 0.98;
    private readonly ILogger _logger;

    /// <summary>Creates a trainer; the options are validated now.</summary>
    /// <param name="options">The options; null uses the notebook's defaults.</param>
    /// <param name="logger">Receives the run's start, periodic losses and its end; null logs nothing.</param>
    /// <exception cref="OptionsValidationException">An option is out of range; the message names each one.</exception>
    public DdpmTrainer(DdpmTrainerOptions? options = null, ILogger<DdpmTrainer>? logger = null)
    {
        Options = OptionsGuard.Validated(options ?? new DdpmTrainerOptions(), new DdpmTrainerOptionsValidator());

        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Gets the options the trainer was created with.</summary>
    public DdpmTrainerOptions Options { get; }

    /// <summary>Builds the network described by <see cref="DdpmTrainerOptions.Network"/> and trains it on <paramref name="dataset"/>.</summary>
    /// <param name="dataset">The training images, values in [-1, 1].</param>
    /// <param name="progress">Receives a report after every step; null reports nothing.</param>
    /// <param name="cancellationToken">Stops training after the current step; the method then throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The trained model, with its network in eval mode on the training device; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The dataset is empty, smaller than the batch, or its shape does not fit the network.</exception>
    /// <exception cref="InvalidOperationException">The device is unavailable, or the loss became NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public DdpmModel Fit(IImageDataset dataset, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        CheckDataset(dataset);
        Options.Network.Validate(dataset.Shape);
        int seed = ResolveSeed();

        // Weight initialisation draws from the global generator.
        manual_seed(seed);
        nn.Module<Tensor, Tensor, Tensor> network = Options.Network.CreateNetwork();
        try
        {
            return Train(dataset, network, Options.Network, seed, progress, cancellationToken);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Trains a network the caller built (any module taking (x_t, t) and returning a tensor shaped like x_t).</summary>
    /// <param name="dataset">The training images, values in [-1, 1].</param>
    /// <param name="network">The network; it is moved to the training device and trained in place, and the returned model takes ownership of it.</param>
    /// <param name="progress">Receives a report after every step; null reports nothing.</param>
    /// <param name="cancellationToken">Stops training after the current step; the method then throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The trained model, with the network in eval mode; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The dataset is empty or smaller than the batch.</exception>
    /// <exception cref="InvalidOperationException">The device is unavailable, or the loss became NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public DdpmModel Fit(
        IImageDataset dataset,
        nn.Module<Tensor, Tensor, Tensor> network,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(network);
        CheckDataset(dataset);
        return Train(dataset, network, configuration: null, ResolveSeed(), progress, cancellationToken);
    }

    private DdpmModel Train(
        IImageDataset dataset,
        nn.Module<Tensor, Tensor, Tensor> network,
        INetworkConfiguration? configuration,
        int seed,
        IProgress<TrainingProgress>? progress,
        CancellationToken cancellationToken)
    {
        Device device = TorchDevices.Resolve(Options.Device, "DdpmTrainerOptions.Device");
        var scheduler = new NoiseScheduler(Options.Schedule, Options.Timesteps, device);
        network.to(device);
        network.train();

        int batchSize = Options.BatchSize;
        int stepsPerEpoch = dataset.Count / batchSize;
        long totalSteps = Options.MaxSteps ?? (long)stepsPerEpoch * Options.Epochs;
        var parameters = network.parameters().ToList();
        using Adam optimizer = optim.Adam(parameters, lr: Options.LearningRate);
        using var generator = new Generator((ulong)seed, device);
        var assembler = new BatchAssembler(dataset, batchSize);
        ulong flipSeed = (ulong)seed;

        _logger.LogInformation(
            "Training {Network} ({Parameters:N0} parameters) on {Device}: {Images} images of {Shape}, batch {Batch}, {Steps} steps, T = {T} {Schedule}, {Loss} loss, Adam lr {Lr}, seed {Seed}",
            configuration?.ToString() ?? network.GetType().Name, parameters.Sum(p => p.numel()), device, dataset.Count, dataset.Shape,
            batchSize, totalSteps, Options.Timesteps, Options.Schedule.Name, Options.Loss, Options.LearningRate, seed);

        var clock = Stopwatch.StartNew();
        double smoothed = 0;
        long step = 0;
        try
        {
            for (int epoch = 0; step < totalSteps; epoch++)
            {
                int[] order = Options.Shuffle
                    ? CounterRandom.Permutation(flipSeed, (uint)epoch, dataset.Count)
                    : Enumerable.Range(0, dataset.Count).ToArray();
                int currentEpoch = epoch;
                Func<int, bool> flip = Options.RandomHorizontalFlip
                    ? index => CounterRandom.NextBool(flipSeed, 0x8000_0000_0000_0000UL | (uint)currentEpoch, (ulong)index)
                    : _ => false;

                for (int b = 0; b < stepsPerEpoch && step < totalSteps; b++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    double loss = TrainStep(network, scheduler, optimizer, generator, assembler, order.AsSpan(b * batchSize, batchSize), flip, device);
                    step++;
                    if (!double.IsFinite(loss))
                    {
                        throw new InvalidOperationException(
                            $"The training loss became {loss} at step {step} (epoch {epoch}). Lower the learning rate (now {Options.LearningRate}) or check the data for NaN or infinite values.");
                    }

                    smoothed = (SmoothingWeight * smoothed) + ((1 - SmoothingWeight) * loss);
                    double smoothedCorrected = smoothed / (1 - Math.Pow(SmoothingWeight, step));
                    TimeSpan elapsed = clock.Elapsed;
                    var report = new TrainingProgress(
                        step, totalSteps, epoch, loss, smoothedCorrected, Options.LearningRate,
                        step * batchSize / Math.Max(elapsed.TotalSeconds, 1e-9), elapsed,
                        TimeSpan.FromTicks((long)(elapsed.Ticks / (double)step * (totalSteps - step))));
                    progress?.Report(report);
                    if (step % Options.LogInterval == 0 || step == totalSteps)
                    {
                        _logger.LogInformation(
                            "Step {Step}/{Total} (epoch {Epoch}): loss {Loss:F4}, smoothed {Smoothed:F4}, {Throughput:F1} images/s, ETA {Eta:hh\\:mm\\:ss}",
                            step, totalSteps, epoch, loss, smoothedCorrected, report.ImagesPerSecond, report.EstimatedRemaining);
                    }
                }
            }
        }
        catch
        {
            scheduler.Dispose();
            throw;
        }

        network.eval();
        _logger.LogInformation("Training finished: {Steps} steps in {Elapsed}", step, clock.Elapsed);
        return new DdpmModel(network, scheduler, dataset.Shape, configuration, step);
    }

    /// <summary>One step of Algorithm 1 inside its own dispose scope; returns the loss.</summary>
    private double TrainStep(
        nn.Module<Tensor, Tensor, Tensor> network,
        NoiseScheduler scheduler,
        Adam optimizer,
        Generator generator,
        BatchAssembler assembler,
        ReadOnlySpan<int> indices,
        Func<int, bool> flip,
        Device device)
    {
        using var scope = NewDisposeScope();
        Tensor x0 = assembler.Assemble(indices, flip, device);
        Tensor t = randint(0, scheduler.Timesteps, new long[] { indices.Length }, dtype: ScalarType.Int64, device: device, generator: generator);
        Tensor noise = randn(x0.shape, dtype: x0.dtype, device: device, generator: generator);
        Tensor xt = scheduler.AddNoiseCore(x0, noise, t);
        Tensor predicted = network.call(xt, t);
        Tensor loss = Options.Loss switch
        {
            LossType.L1 => nn.functional.l1_loss(predicted, noise),
            LossType.L2 => nn.functional.mse_loss(predicted, noise),
            _ => nn.functional.huber_loss(predicted, noise, delta: Options.HuberDelta),
        };

        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        return loss.item<float>();
    }

    private void CheckDataset(IImageDataset dataset)
    {
        if (dataset.Count < 1)
        {
            throw new ArgumentException("The dataset is empty; it needs at least one image.", nameof(dataset));
        }

        ImageShape shape = dataset.Shape;
        if (shape.Channels < 1 || shape.Height < 1 || shape.Width < 1)
        {
            throw new ArgumentException($"The dataset reports the image shape {shape}; every dimension must be at least 1.", nameof(dataset));
        }

        if (Options.BatchSize > dataset.Count)
        {
            throw new ArgumentException(
                $"BatchSize is {Options.BatchSize} but the dataset holds only {dataset.Count} image(s); lower BatchSize to at most {dataset.Count} or add images.", nameof(dataset));
        }
    }

    private int ResolveSeed()
    {
        if (Options.Seed is int seed)
        {
            return seed;
        }

        int drawn = Random.Shared.Next();
        _logger.LogInformation("No seed given; using seed {Seed}", drawn);
        return drawn;
    }
}
