using System.Diagnostics;
using System.Globalization;
using Ddpm.Core.Checkpoints;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Imaging;
using Ddpm.Core.Kernels;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Training;

/// <summary>
/// Trains a denoising network on a dataset of images (Ho et al. 2020, Algorithm 1): for each batch,
/// draw t ~ U{0..T-1} and ε ~ N(0, I), form x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε, and take an optimiser step
/// on the loss between ε_θ(x_t, t) and ε; keep an exponential moving average of the weights; write
/// checkpoints from which a run continues exactly. Each <c>Fit</c> returns a new <see cref="DdpmModel"/>;
/// the trainer keeps no state between calls and can be reused.
/// </summary>
public sealed class DdpmTrainer
{
    private readonly ILogger _logger;

    /// <summary>Creates a trainer; the options are copied and validated now.</summary>
    /// <param name="options">The options; null uses the notebook's defaults.</param>
    /// <param name="logger">Receives the run's start, periodic losses, checkpoints and its end; null logs nothing.</param>
    /// <exception cref="OptionsValidationException">An option is out of range; the message names each one.</exception>
    public DdpmTrainer(DdpmTrainerOptions? options = null, ILogger<DdpmTrainer>? logger = null)
    {
        // A copy, validated: changes to the caller's instance (shared by every trainer under DI) reach neither this trainer nor its validation.
        Options = OptionsGuard.Validated(options?.Snapshot() ?? new DdpmTrainerOptions(), new DdpmTrainerOptionsValidator());
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Gets the validated copy of the options the trainer was created with; changing the instance passed in does not affect the trainer.</summary>
    public DdpmTrainerOptions Options { get; }

    /// <summary>Builds the network described by <see cref="DdpmTrainerOptions.Network"/> and trains it on <paramref name="dataset"/>.</summary>
    /// <param name="dataset">The training images, values in [-1, 1].</param>
    /// <param name="progress">Receives a report after every optimiser step, on the training thread; null reports nothing.</param>
    /// <param name="cancellationToken">Stops training after the current step: a checkpoint is written (when a checkpoint directory is set) and <see cref="TrainingCanceledException"/> is thrown.</param>
    /// <returns>The trained model, its networks in eval mode on the training device; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The dataset is empty, smaller than the batch, or its shape does not fit the network.</exception>
    /// <exception cref="InvalidOperationException">The device is unavailable.</exception>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    /// <exception cref="CpuKernelCheckException">Training on the CPU, and no CPU kernel path computes correctly (or the one forced by <see cref="DdpmTrainerOptions.CpuKernels"/> does not); see <see cref="CpuKernels.Ensure"/>.</exception>
    /// <exception cref="TrainingCanceledException">The token was cancelled.</exception>
    public DdpmModel Fit(IImageDataset dataset, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        FitConfigured(dataset, resumeFrom: null, progress, cancellationToken);

    /// <summary>
    /// Continues a run from a checkpoint written by this trainer (or from the newest readable one in a
    /// folder): weights, EMA, optimiser state, random state, step and loss history are restored, so
    /// on the CPU the continued run produces exactly the losses and weights the uninterrupted one would.
    /// The run's length comes from these options, so a finished run can be extended with a larger
    /// <see cref="DdpmTrainerOptions.MaxSteps"/>.
    /// </summary>
    /// <param name="dataset">The training images; the same ones (in the same order) for an exact continuation.</param>
    /// <param name="resumeFrom">A checkpoint file, or a checkpoint folder.</param>
    /// <param name="progress">Receives a report after every optimiser step; null reports nothing.</param>
    /// <param name="cancellationToken">Stops training after the current step (see the other overload).</param>
    /// <returns>The trained model; the caller owns it.</returns>
    /// <exception cref="FileNotFoundException">No checkpoint was found at <paramref name="resumeFrom"/>.</exception>
    /// <exception cref="CheckpointFormatException">The checkpoint is damaged or was made with another network, schedule or image shape.</exception>
    /// <exception cref="CpuKernelCheckException">Training on the CPU, and no CPU kernel path computes correctly (or the one forced does not); see <see cref="CpuKernels.Ensure"/>.</exception>
    public DdpmModel Fit(IImageDataset dataset, string resumeFrom, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resumeFrom);
        return FitConfigured(dataset, resumeFrom, progress, cancellationToken);
    }

    /// <summary>
    /// Trains a network the caller built (any module taking (x_t, t) and returning a tensor shaped like
    /// x_t). Without a configuration the trainer cannot build a second copy, so no EMA is kept; implement
    /// <see cref="INetworkConfiguration"/> and set <see cref="DdpmTrainerOptions.Network"/> for EMA and resuming.
    /// </summary>
    /// <param name="dataset">The training images, values in [-1, 1].</param>
    /// <param name="network">The network; it is moved to the training device and trained in place, and the returned model takes ownership of it (if training fails, it stays the caller's).</param>
    /// <param name="progress">Receives a report after every optimiser step; null reports nothing.</param>
    /// <param name="cancellationToken">Stops training after the current step (see the first overload).</param>
    /// <returns>The trained model, with the network in eval mode; the caller owns it.</returns>
    /// <exception cref="CpuKernelCheckException">Training on the CPU, and no CPU kernel path computes correctly (or the one forced does not); see <see cref="CpuKernels.Ensure"/>.</exception>
    public DdpmModel Fit(
        IImageDataset dataset,
        nn.Module<Tensor, Tensor, Tensor> network,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(network);
        DdpmTrainerOptions options = OptionsFor(dataset);
        if (Options.Ema.Enabled)
        {
            _logger.LogWarning("No EMA is kept for a network passed to Fit: set DdpmTrainerOptions.Network to an INetworkConfiguration for one");
        }

        int seed = options.Seed ?? DrawSeed();
        Device device = TorchDevices.Resolve(options.Device, "DdpmTrainerOptions.Device");
        (options, TrainingPrecisionChoice precision) = WithPrecision(options, hasConfiguration: false, resumedPrecision: null);
        var plan = CreatePlan(dataset, options, seed);
        var run = new TrainingRun(options, dataset.Shape, network, emaNetwork: null, configuration: null, plan, seed, device, ownsNetwork: false)
        {
            // The caller's network may already be trained.
            FreshRun = false,
            Precision = precision,
        };
        using var globalGenerator = GlobalGeneratorState.Save();
        return Train(dataset, run, plan, progress, cancellationToken);
    }

    private DdpmModel FitConfigured(IImageDataset dataset, string? resumeFrom, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        DdpmTrainerOptions options = OptionsFor(dataset);
        INetworkConfiguration configuration = Options.NetworkFor(dataset.Shape, (dataset as ILabeledImageDataset)?.ClassCount ?? 0);
        configuration.Validate(dataset.Shape);
        Device device = TorchDevices.Resolve(Options.Device, "DdpmTrainerOptions.Device");

        CheckpointReader? resume = resumeFrom is null ? null : CheckpointReader.Open(CheckpointStore.Resolve(resumeFrom, _logger));
        TrainingRun? run = null;

        // Weight initialisation and dropout draw from libtorch's process-wide generator, which the run seeds;
        // the caller's state is put back when Fit returns.
        using var globalGenerator = GlobalGeneratorState.Save();
        try
        {
            int seed = resume is null ? Options.Seed ?? DrawSeed() : CheckResumable(resume, dataset.Shape, configuration);
            (options, TrainingPrecisionChoice precision) = WithPrecision(options, hasConfiguration: true, resume is null ? null : TrainingCheckpoint.ReadOption(resume, "precision"));
            manual_seed(seed);
            nn.Module<Tensor, Tensor, Tensor> network = configuration.CreateNetwork();
            nn.Module<Tensor, Tensor, Tensor>? ema = null;
            BatchPlan plan = CreatePlan(dataset, options, seed);
            try
            {
                CheckConditioning(dataset, network, configuration);
                ema = Options.Ema.Enabled ? configuration.CreateNetwork() : null;
                run = new TrainingRun(options, dataset.Shape, network, ema, configuration, plan, seed, device) { Precision = precision };
            }
            catch
            {
                network.Dispose();
                ema?.Dispose();
                throw;
            }

            if (Options.ClassConditional)
            {
                run.Model.ClassNames = ((ILabeledImageDataset)dataset).ClassNames;
            }

            if (resume is not null)
            {
                run.Restore(resume);
                _logger.LogInformation("Resuming from {Path} at step {Step}", resume.Path, run.Step);
            }
            else if (Options.FineTuneFrom is string source)
            {
                FineTune(run, source);
            }

            resume?.Dispose();
            resume = null;
            TrainingRun started = run;
            run = null;
            return Train(dataset, started, plan, progress, cancellationToken);
        }
        finally
        {
            resume?.Dispose();
            run?.Dispose();
        }
    }

    private DdpmModel Train(IImageDataset dataset, TrainingRun run, BatchPlan plan, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        using (run)
        using (CpuThreads.Use(Options.Threads))
        {
            run.CpuKernels = run.Device.type == DeviceType.CPU
                ? CpuKernels.Ensure(Options.CpuKernels, run.Options.Precision == TrainingPrecision.BFloat16, _logger)
                : null;
            int accumulation = Options.GradientAccumulationSteps;
            run.TotalSteps = Options.MaxSteps ?? Math.Max(1, (long)plan.BatchesPerEpoch * Options.Epochs / accumulation);
            CheckpointStore? store = Options.CheckpointDirectory is null ? null : new CheckpointStore(Options.CheckpointDirectory, Options.CheckpointsToKeep, _logger);
            string? sampleDirectory = Options.SampleDirectory ?? Options.CheckpointDirectory;
            var tensorBoard = Options.TensorBoardDirectory is null ? null : utils.tensorboard.SummaryWriter(Options.TensorBoardDirectory);
            string? lastCheckpoint = null;

            _logger.LogInformation(
                "Training {Network} ({Parameters:N0} parameters) on {Device} ({Threads} CPU threads): {Images} images of {Shape}, batch {Batch}x{Accumulation}, steps {Start}..{Steps}, T = {T} {Schedule}, {Loss} loss, {Optimizer} lr {Lr}, EMA {Ema}, {Precision}, seed {Seed}",
                run.Model.Configuration?.ToString() ?? run.Model.Network.GetType().Name, run.ParameterCount, run.Device, get_num_threads(), dataset.Count, dataset.Shape,
                run.Options.BatchSize, accumulation, run.Step + 1, run.TotalSteps, Options.Timesteps, Options.Schedule.Name, Options.Loss,
                Options.Optimizer, Options.LearningRate, run.Ema is null ? "off" : $"up to {Options.Ema.MaxDecay}", run.Options.Precision, run.Seed);
            _logger.LogInformation("Precision: {Precision}", run.Precision);

            long firstStep = run.Step;
            var clock = Stopwatch.StartNew();
            using var batches = new BatchPrefetcher(dataset, plan, run.Step * accumulation, run.TotalSteps * accumulation, Options.PrefetchBatches, withLabels: Options.ClassConditional);
            while (run.Step < run.TotalSteps)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    string? saved = store?.Save(run.Step, run.WriteCheckpoint);
                    _logger.LogWarning("Training cancelled at step {Step}", run.Step);
                    throw new TrainingCanceledException(run.Step, saved, cancellationToken);
                }

                (double loss, double learningRate) = run.TrainStep(batches, lastCheckpoint);
                TimeSpan elapsed = clock.Elapsed;
                long done = run.Step - firstStep;
                var report = new TrainingProgress(
                    run.Step, run.TotalSteps, run.Epoch, loss, run.SmoothedLoss, learningRate,
                    done * run.Options.BatchSize * accumulation / Math.Max(elapsed.TotalSeconds, 1e-9), elapsed,
                    TimeSpan.FromTicks((long)(elapsed.Ticks / (double)done * (run.TotalSteps - run.Step))),
                    batches.WaitTime,
                    run.Precision);
                progress?.Report(report);
                tensorBoard?.add_scalar("train/loss", (float)loss, (int)run.Step);
                tensorBoard?.add_scalar("train/loss_smoothed", (float)report.SmoothedLoss, (int)run.Step);
                tensorBoard?.add_scalar("train/learning_rate", (float)learningRate, (int)run.Step);
                if (run.Step % Options.LogInterval == 0 || run.Step == run.TotalSteps)
                {
                    _logger.LogInformation(
                        "Step {Step}/{Total} (epoch {Epoch}): loss {Loss:F4}, smoothed {Smoothed:F4}, lr {Lr:G3}, {Throughput:F1} images/s, ETA {Eta:hh\\:mm\\:ss}",
                        run.Step, run.TotalSteps, run.Epoch, loss, report.SmoothedLoss, learningRate, report.ImagesPerSecond, report.EstimatedRemaining);
                }

                if (store is not null && (run.Step % Options.CheckpointInterval == 0 || run.Step == run.TotalSteps))
                {
                    lastCheckpoint = store.Save(run.Step, run.WriteCheckpoint);
                }

                if (Options.SampleInterval is int interval && (run.Step % interval == 0 || run.Step == run.TotalSteps))
                {
                    WritePreview(run, sampleDirectory);
                }
            }

            _logger.LogInformation("Training finished: {Steps} steps in {Elapsed}", run.Step - firstStep, clock.Elapsed);
            return run.Release();
        }
    }

    private void WritePreview(TrainingRun run, string? directory)
    {
        var sampler = new DdpmSampler(Options.PreviewSampling);
        using Tensor images = sampler.Sample(run.Model, Options.SampleCount);
        string path = Path.Combine(directory ?? Options.TensorBoardDirectory!, $"samples-step{run.Step.ToString("D8", CultureInfo.InvariantCulture)}.png");
        try
        {
            ImageGrid.SavePng(images, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A preview is not worth the run: say so loudly and keep training.
            _logger.LogError("Could not write the sample grid {Path}: {Reason} Training continues; free disk space or set SampleDirectory to a writable folder", path, e.Message);
            return;
        }

        // TensorBoard images are not written: TorchSharp encodes them with SkiaSharp, whose native
        // library the CPU backend does not bring, and a missing one crashes the process.
        _logger.LogInformation("Wrote sample grid {Path}", path);
    }

    private void FineTune(TrainingRun run, string source)
    {
        using CheckpointReader reader = CheckpointReader.Open(source);
        string weights = TrainingCheckpoint.LoadWeights(reader, run.Model.Network, run.Model.EmaNetwork);
        run.FreshRun = false;
        _logger.LogInformation("Fine-tuning from the {Section} weights of {Path}", weights, source);
    }

    /// <summary>Checks that a checkpoint belongs to a run these options can continue, and returns the run's seed.</summary>
    private int CheckResumable(CheckpointReader reader, ImageShape shape, INetworkConfiguration configuration)
    {
        ResumableRun stored = TrainingCheckpoint.ReadResumable(reader);
        if (stored.Architecture != configuration.Architecture || (stored.Configuration is not null && !NetworkConfigurations.Same(stored.Configuration, configuration)))
        {
            throw new CheckpointFormatException(
                reader.Path,
                $"it was trained with {stored.Configuration?.ToString() ?? stored.Architecture}, but the options describe {configuration}; resume with the same network, or start a new run with FineTuneFrom.");
        }

        if (stored.Prediction != Options.Prediction)
        {
            throw new CheckpointFormatException(reader.Path, $"it was trained to predict {stored.Prediction} but the options say {Options.Prediction}; resume with the same prediction type, or fine-tune with FineTuneFrom.");
        }

        if (stored.Shape != shape)
        {
            throw new CheckpointFormatException(reader.Path, $"it was trained on {stored.Shape.Channels}x{stored.Shape.Height}x{stored.Shape.Width} images but the dataset has {shape}.");
        }

        double[] betas = Options.Schedule.GetBetas(Options.Timesteps);
        if (stored.Scheduler.Timesteps != Options.Timesteps || !stored.Scheduler.Betas.SequenceEqual(betas))
        {
            throw new CheckpointFormatException(
                reader.Path,
                $"it was trained with T = {stored.Scheduler.Timesteps} ({stored.Scheduler.Description}) but the options say T = {Options.Timesteps} ({Options.Schedule}); resume with the same schedule, or fine-tune with FineTuneFrom.");
        }

        if (Options.Seed is int seed && seed != stored.Seed)
        {
            _logger.LogWarning("Resuming with the checkpoint's seed {Stored}, not the options' {Seed}", stored.Seed, seed);
        }

        return stored.Seed;
    }

    /// <summary>With class conditioning on, the data must carry labels and the network must take as many classes.</summary>
    private void CheckConditioning(IImageDataset dataset, nn.Module<Tensor, Tensor, Tensor> network, INetworkConfiguration configuration)
    {
        if (!Options.ClassConditional)
        {
            return;
        }

        if (dataset is not ILabeledImageDataset { ClassCount: > 0 } labeled)
        {
            throw new ArgumentException(
                "ClassConditional is true but the dataset has no class labels; use an image folder with one subfolder per class, an IDX file with its labels file, or in-memory images with labels.", nameof(dataset));
        }

        if (network is not IClassConditionalNetwork conditional || conditional.ClassCount != labeled.ClassCount)
        {
            throw new ArgumentException(
                $"ClassConditional is true and the dataset has {labeled.ClassCount} classes, but {configuration} {(network is IClassConditionalNetwork built ? $"is built for {built.ClassCount}" : "cannot take class labels")}; use a UNetConfiguration with ClassCount = {labeled.ClassCount}.",
                nameof(dataset));
        }
    }

    private static BatchPlan CreatePlan(IImageDataset dataset, DdpmTrainerOptions options, int seed) =>
        new(dataset.Count, options.BatchSize, seed, options.Shuffle, options.RandomHorizontalFlip);

    /// <summary>
    /// The run's options with <see cref="DdpmTrainerOptions.Precision"/> decided (never Auto), so the run, its
    /// checkpoints and its log name the precision it computes in; the reason goes to the log. A resumed run with
    /// Auto keeps the precision it started in (<paramref name="resumedPrecision"/>, as its checkpoint records it), so
    /// it continues exactly as it would have; a precision asked for wins, with a warning that the run changes precision.
    /// </summary>
    private (DdpmTrainerOptions Options, TrainingPrecisionChoice Choice) WithPrecision(DdpmTrainerOptions options, bool hasConfiguration, string? resumedPrecision)
    {
        TrainingPrecision? started = Enum.TryParse(resumedPrecision, out TrainingPrecision recorded) && recorded != TrainingPrecision.Auto ? recorded : null;
        TrainingPrecisionChoice choice;
        if (options.Precision == TrainingPrecision.Auto && started is TrainingPrecision kept)
        {
            try
            {
                choice = TrainingPrecisionChoice.Make(kept, options.Device, options.CpuKernels, _logger) with { Reason = $"kept from the checkpoint being resumed, which started in {kept}, so the run continues exactly as it began" };
            }
            catch (CpuKernelCheckException e)
            {
                choice = new(TrainingPrecision.Float32, $"the run started in {kept}, but this machine cannot train in it ({e.Message.Split(". ")[0]}), so it continues in Float32 and does not match an uninterrupted run exactly");
                _logger.LogWarning("Precision: {Reason}", choice.Reason);
            }
        }
        else
        {
            choice = TrainingPrecisionChoice.Make(options.Precision, options.Device, options.CpuKernels, _logger);
            if (started is TrainingPrecision before && before != choice.Precision)
            {
                _logger.LogWarning(
                    "The run being resumed started in {Before} and continues in {After} ({Reason}): it will not match an uninterrupted run exactly. Set Precision = Auto to keep {Before}",
                    before, choice.Precision, choice.Reason, before);
            }
        }

        if (!hasConfiguration)
        {
            choice = choice.ForNetworkWithoutConfiguration(options.Precision);
        }

        if (choice.Precision == options.Precision)
        {
            return (options, choice);
        }

        DdpmTrainerOptions decided = options.Snapshot();
        decided.Precision = choice.Precision;
        return (decided, choice);
    }

    /// <summary>
    /// Checks the dataset and returns the options for a run on it: <see cref="Options"/>, or, where the dataset
    /// holds fewer images than <see cref="DdpmTrainerOptions.BatchSize"/>, a copy whose batch is the whole
    /// dataset (logged as a warning), so the default batch of 128 also trains on small data.
    /// </summary>
    private DdpmTrainerOptions OptionsFor(IImageDataset dataset)
    {
        CheckDataset(dataset);
        if (Options.BatchSize <= dataset.Count)
        {
            return Options;
        }

        _logger.LogWarning(
            "BatchSize is {BatchSize} but the dataset holds only {Count} image(s); training with batches of {Count} (every image in every step). Set BatchSize to at most {Count} to choose it yourself",
            Options.BatchSize, dataset.Count, dataset.Count, dataset.Count);
        DdpmTrainerOptions options = Options.Snapshot();
        options.BatchSize = dataset.Count;
        return options;
    }

    private static void CheckDataset(IImageDataset dataset)
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
    }

    private int DrawSeed()
    {
        int drawn = Random.Shared.Next();
        _logger.LogInformation("No seed given; using seed {Seed}", drawn);
        return drawn;
    }
}
