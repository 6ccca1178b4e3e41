using System.Diagnostics;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Kernels;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling.Methods;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Sampling;

/// <summary>
/// Draws images from a trained <see cref="DdpmModel"/>. What the options leave null follows the model
/// (<see cref="SamplingDefaults"/>): the notebook's SimpleUNet gets the notebook's ancestral sampling (Ho et al.
/// 2020, Algorithm 2): x_T ~ N(0, I); for t = T-1..0, x_{t-1} = 1/√α_t (x_t - β_t/√(1-ᾱ_t) ε_θ(x_t, t)) + σ_t z
/// with σ_t² = β̃_t, the mean alone at t = 0, each step clamped to [-1, 1]; other networks get DDIM (Song et
/// al. 2021) in 50 steps with x̂_0 clipped. Options choose the method, fewer steps with a
/// timestep spacing, the variance, x̂_0 clipping or dynamic thresholding. Each step goes from its
/// timestep to the actual previous one in the list, whatever the spacing. Sampling never changes the
/// model, and one model may be sampled from any number of threads at once, each call giving the images it
/// gives alone (docs/sampling.md, "Sampling from many threads"). A sampler is immutable and may be shared.
/// </summary>
public sealed class DdpmSampler
{
    private readonly ILogger _logger;

    /// <summary>Creates a sampler; the options are copied and validated now.</summary>
    /// <param name="options">The options; null uses the defaults.</param>
    /// <param name="logger">Receives the start and end of each run; null logs nothing.</param>
    /// <exception cref="OptionsValidationException">An option is out of range; the message names each one.</exception>
    public DdpmSampler(DdpmSamplerOptions? options = null, ILogger<DdpmSampler>? logger = null)
        : this(options, (ILogger?)logger)
    {
    }

    private DdpmSampler(DdpmSamplerOptions? options, ILogger? logger)
    {
        // A copy, validated: changes to the caller's instance reach neither this sampler nor its validation.
        Options = OptionsGuard.Validated(options?.Snapshot() ?? new DdpmSamplerOptions(), new DdpmSamplerOptionsValidator());
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Gets the validated copy of the options the sampler was created with; changing the instance passed in does not affect the sampler.</summary>
    public DdpmSamplerOptions Options { get; }

    /// <summary>
    /// A sampler with these options but <paramref name="seed"/>, for one call of a service that takes the seed per
    /// request: <c>sampler.WithSeed(request.Seed).Sample(model, 4)</c>. The same seed gives the same images.
    /// </summary>
    /// <param name="seed">The seed of the generator that draws x_T and every step's noise; at least 0.</param>
    /// <returns>A new sampler; this one is unchanged.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="seed"/> is negative.</exception>
    public DdpmSampler WithSeed(int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seed);
        return With(options => options.Seed = seed);
    }

    /// <summary>
    /// A sampler with a copy of these options changed by <paramref name="change"/> and validated, for a setting a
    /// service takes per request: <c>sampler.With(o => { o.Method = SamplingMethod.Ddim; o.Steps = 50; })</c>.
    /// </summary>
    /// <param name="change">Changes the copy; the options of this sampler are not changed.</param>
    /// <returns>A new sampler that shares this one's logger.</returns>
    /// <exception cref="OptionsValidationException">The changed options are out of range; the message names each one.</exception>
    public DdpmSampler With(Action<DdpmSamplerOptions> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        DdpmSamplerOptions options = Options.Snapshot();
        change(options);
        return new DdpmSampler(options, _logger);
    }

    /// <summary>
    /// Replaces the generator's draws (x_T first, then each step's z) with tensors of the asked
    /// shape, for parity tests against a PyTorch trajectory driven by recorded noise; null draws.
    /// </summary>
    internal Func<long[], Tensor>? NoiseSource { get; set; }

    /// <summary>The timesteps this sampler visits for <paramref name="model"/>, noisiest first.</summary>
    /// <param name="model">The model (its T, and its network where the method follows it).</param>
    /// <returns>The S timesteps, strictly descending.</returns>
    /// <exception cref="ArgumentException"><see cref="DdpmSamplerOptions.Steps"/> exceeds T.</exception>
    public int[] GetTimesteps(DdpmModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return GetTimesteps(model.Scheduler, MethodFor(model));
    }

    /// <summary>The method object this sampler uses for <paramref name="model"/>: <see cref="DdpmSamplerOptions.CustomMethod"/>, else the one <see cref="DdpmSamplerOptions.Method"/> names (null follows the model).</summary>
    /// <param name="model">The model.</param>
    /// <returns>The method.</returns>
    public ISamplingMethod MethodFor(DdpmModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Options.CustomMethod ?? SamplingMethods.Create(Options.Method ?? SamplingDefaults.Method(model), Options.Eta, Options.Variance);
    }

    private int[] GetTimesteps(NoiseScheduler scheduler, ISamplingMethod method)
    {
        int timesteps = scheduler.Timesteps;
        int steps = Options.Steps ?? Math.Clamp(method.DefaultSteps(timesteps), 1, timesteps);
        if (steps > timesteps)
        {
            throw new ArgumentException($"DdpmSamplerOptions.Steps is {steps} but the model has only T = {timesteps} timesteps; use at most {timesteps}.");
        }

        return SamplingTimesteps.Create(scheduler, steps, Options.Spacing);
    }

    /// <summary>Samples <paramref name="count"/> images.</summary>
    /// <param name="model">The trained model.</param>
    /// <param name="count">How many images; at least 1.</param>
    /// <param name="onStep">Called after every reverse step of every batch with x_{t-1} (the notebook's denoising strip); null for none.</param>
    /// <param name="progress">Receives a report after every reverse step; null for none.</param>
    /// <param name="cancellationToken">Stops after the current step; the method then throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>Images of shape [count, C, H, W] with values in [-1, 1], on the CPU; the caller owns the tensor.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is less than 1.</exception>
    /// <exception cref="ArgumentException"><see cref="DdpmSamplerOptions.Steps"/> exceeds the model's T.</exception>
    /// <exception cref="InvalidOperationException">The requested device is unavailable or differs from the model's.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="CpuKernelCheckException">Sampling on the CPU, and no CPU kernel path computes correctly (or the one forced by <see cref="DdpmSamplerOptions.CpuKernels"/> does not); see <see cref="CpuKernels.Ensure"/>.</exception>
    public Tensor Sample(
        DdpmModel model,
        int count,
        Action<SamplingStep>? onStep = null,
        IProgress<SamplingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"count is {count}; pass how many images to draw, at least 1, for example Sample(model, 16). Larger requests run in batches of BatchSize ({Options.BatchSize}).");
        }

        Device device = ResolveDevice(model);
        ISamplingMethod method = MethodFor(model);
        int[] timesteps = GetTimesteps(model.Scheduler, method);
        if (model.PredictionType == PredictionType.Epsilon && model.Scheduler.ValueAt(model.Scheduler.AlphasCumprod, timesteps[0]) == 0)
        {
            // x̂_0 = (x_t - √(1-ᾱ_t) ε̂) / √ᾱ_t (Ho et al. 2020, eq. 15) has no value where ᾱ_t = 0.
            throw new ArgumentException(
                $"The model predicts noise (Epsilon) but its ᾱ is 0 at timestep {timesteps[0]}, where sampling starts (a zero-terminal-SNR schedule): recovering x̂_0 would divide by √ᾱ = 0. Start below that step (Spacing = Leading with fewer Steps than T), or train the model with Prediction = Velocity.",
                nameof(model));
        }
        BatchNormMode batchNormMode = Options.BatchNormMode ?? SamplingDefaults.BatchNormMode(model);
        var plan = new Plan(
            method,
            Options.ClampEachStep ?? SamplingDefaults.ClampEachStep(model, method),
            Options.ClipPredictedSample ?? (Options.DynamicThresholdingPercentile is null && SamplingDefaults.ClipPredictedSample(model)));
        CheckClasses(model);
        int seed = Options.Seed ?? Random.Shared.Next();
        int batchCount = (count + Options.BatchSize - 1) / Options.BatchSize;
        nn.Module<Tensor, Tensor, Tensor> network = Options.Weights == ModelWeights.Ema && model.EmaNetwork is not null
            ? model.EmaNetwork
            : model.Network;
        _logger.LogInformation(
            "Sampling {Count} images of {Shape} on {Device} with {Method} in {Steps} steps ({Timesteps}): {Batches} batch(es), seed {Seed}, {Weights} weights, BatchNorm {Mode}",
            count, model.ImageShape, device, method.Name, timesteps.Length, SamplingTimesteps.Describe(timesteps), batchCount, seed,
            model.EmaNetwork is null ? ModelWeights.Trained : Options.Weights, batchNormMode);

        var clock = Stopwatch.StartNew();
        var batches = new List<Tensor>(batchCount);
        try
        {
            using var threads = CpuThreads.Use(Options.Threads);
            if (device.type == DeviceType.CPU)
            {
                CpuKernels.Ensure(Options.CpuKernels, bfloat16: false, _logger);
            }

            using var generator = new Generator((ulong)seed, device);
            using IDisposable mode = NetworkModeScope.Enter(network, batchNormMode);
            using var noGrad = no_grad();
            var run = new Run(model, network, plan, timesteps, generator, batchCount, onStep, progress, clock, cancellationToken);
            for (int batch = 0; batch < batchCount; batch++)
            {
                int first = batch * Options.BatchSize;
                int size = Math.Min(Options.BatchSize, count - first);
                long[]? labels = Options.Classes is { } classes ? Enumerable.Range(first, size).Select(i => (long)classes[i % classes.Count]).ToArray() : null;
                batches.Add(SampleBatch(run, size, batch, device, labels));
            }

            using var scope = NewDisposeScope();
            Tensor images = cat(batches, dim: 0).MoveToOuterDisposeScope();
            _logger.LogInformation("Sampled {Count} images in {Elapsed}", count, clock.Elapsed);
            return images;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _logger.LogInformation(
                "Sampling cancelled in batch {Batch} of {Batches} ({Finished} of {Count} images finished) after {Elapsed}",
                batches.Count + 1, batchCount, batches.Sum(b => b.shape[0]), count, clock.Elapsed);
            throw;
        }
        finally
        {
            foreach (Tensor batch in batches)
            {
                batch.Dispose();
            }
        }
    }

    private Tensor SampleBatch(Run run, int size, int batch, Device device, long[]? labels)
    {
        var shape = new long[] { size, run.Model.ImageShape.Channels, run.Model.ImageShape.Height, run.Model.ImageShape.Width };
        Tensor x = Noise(run, shape, ScalarType.Float32, device);
        var context = new SolverContext(
            run.Model.Scheduler,
            run.Model.PredictionType,
            run.Timesteps,
            (sample, t) =>
            {
                (Tensor start, Tensor noise, _) = Denoise(run, sample, t, labels);
                return (start, noise);
            },
            noiseShape => Noise(run, noiseShape, ScalarType.Float32, device));
        ISamplingSolver solver = run.Plan.Method.CreateSolver(context);
        try
        {
            for (int i = 0; i < run.Timesteps.Length; i++)
            {
                run.Cancellation.ThrowIfCancellationRequested();
                int t = run.Timesteps[i];
                int previous = i + 1 < run.Timesteps.Length ? run.Timesteps[i + 1] : -1;
                Tensor next = ReverseStep(run, solver, x, i, t, previous, labels);
                x.Dispose();
                x = next;
                run.OnStep?.Invoke(new SamplingStep(t, batch, x));
                run.Progress?.Report(new SamplingProgress(
                    ((long)batch * run.Timesteps.Length) + i + 1, (long)run.BatchCount * run.Timesteps.Length, batch, run.BatchCount, run.Clock.Elapsed));
            }

            using var scope = NewDisposeScope();
            return x.Clamp(-1, 1).cpu().MoveToOuterDisposeScope();
        }
        finally
        {
            x.Dispose();
            (solver as IDisposable)?.Dispose();
        }
    }

    /// <summary>One reverse step x_t → x_{previous} (previous = -1: the final x_0) by the method's solver, in its own dispose scope.</summary>
    private Tensor ReverseStep(Run run, ISamplingSolver solver, Tensor x, int index, int t, int previous, long[]? labels)
    {
        using var scope = NewDisposeScope();
        (Tensor start, Tensor noise, bool bounded) = Denoise(run, x, t, labels);
        Tensor next = solver.Step(new SolverStep(index, t, previous, x, start, noise, bounded));
        if (run.Plan.ClampEachStep)
        {
            next = next.Clamp(-1, 1);
        }

        return next.MoveToOuterDisposeScope();
    }

    /// <summary>The model at (x, t), with guidance, as x̂_0 (bounded when asked) and the ε̂ consistent with it.</summary>
    private (Tensor Start, Tensor Noise, bool Bounded) Denoise(Run run, Tensor x, int t, long[]? labels)
    {
        NoiseScheduler scheduler = run.Model.Scheduler;
        Tensor timestep = TensorScalars.Full([x.shape[0]], t, ScalarType.Int64, x.device);
        Tensor output = Predict(run.Network, x, timestep, labels);
        (Tensor start, Tensor noise) = scheduler.SplitCore(run.Model.PredictionType, output, x, timestep);
        bool bounded = BoundStart(run, ref start);
        if (bounded)
        {
            // ε̂ consistent with the bounded x̂_0: x_t = √ᾱ x̂_0 + √(1-ᾱ) ε̂.
            noise = (x - start.Times(Math.Sqrt(scheduler.AlphasCumprodValues[t]))).Over(Math.Sqrt(1 - scheduler.AlphasCumprodValues[t]));
        }

        return (start, noise, bounded);
    }

    private Tensor Predict(nn.Module<Tensor, Tensor, Tensor> network, Tensor x, Tensor timestep, long[]? labels)
    {
        if (labels is null)
        {
            return network.call(x, timestep);
        }

        var conditional = (IClassConditionalNetwork)network;
        Tensor classes = tensor(labels, device: x.device);
        if (Options.GuidanceScale == 1)
        {
            return conditional.Forward(x, timestep, classes);
        }

        Tensor none = TensorScalars.Full(classes.shape, conditional.ClassCount, classes.dtype, classes.device);
        Tensor both = conditional.Forward(cat([x, x]), cat([timestep, timestep]), cat([classes, none]));
        Tensor[] halves = both.chunk(2, dim: 0);
        return halves[1].Plus((halves[0] - halves[1]).Times(Options.GuidanceScale));
    }

    private void CheckClasses(DdpmModel model)
    {
        if (Options.Classes is not { } classes)
        {
            return;
        }

        int count = model.Network is IClassConditionalNetwork { ClassCount: > 0 } conditional ? conditional.ClassCount : 0;
        if (count == 0)
        {
            throw new ArgumentException("DdpmSamplerOptions.Classes is set but the model is not class-conditional; leave Classes null, or train with ClassConditional = true.");
        }

        int bad = classes.FirstOrDefault(c => c >= count, -1);
        if (bad >= 0)
        {
            throw new ArgumentException($"DdpmSamplerOptions.Classes holds {bad} but the model knows classes 0 to {count - 1}.");
        }
    }

    /// <summary>Standard normal noise from the run's generator, or from <see cref="NoiseSource"/> when a test set one.</summary>
    private Tensor Noise(Run run, long[] shape, ScalarType type, Device device) =>
        NoiseSource is null
            ? randn(shape, dtype: type, device: device, generator: run.Generator)
            : NoiseSource(shape).to(type, device);

    /// <summary>Clips or dynamically thresholds x̂_0 per the options; returns whether it changed anything.</summary>
    private bool BoundStart(Run run, ref Tensor start)
    {
        if (run.Plan.ClipPredictedSample)
        {
            start = start.Clamp(-1, 1);
            return true;
        }

        if (Options.DynamicThresholdingPercentile is double percentile)
        {
            // s = max(1, quantile_p(|x̂_0|)) per sample; x̂_0 = clamp(x̂_0, -s, s) / s (Saharia et al. 2022, §2.3).
            Tensor s = start.abs().flatten(1).quantile(tensor(percentile, dtype: start.dtype, device: start.device), dim: 1).ClampMin(1);
            s = s.view([-1, .. Enumerable.Repeat(1L, (int)start.dim() - 1)]);
            start = start.clamp(-s, s) / s;
            return true;
        }

        return false;
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

    /// <summary>What every step of one Sample call shares.</summary>
    /// <summary>What a call samples with, the options' nulls resolved for its model (<see cref="SamplingDefaults"/>).</summary>
    private sealed record Plan(ISamplingMethod Method, bool ClampEachStep, bool ClipPredictedSample);

    private sealed record Run(
        DdpmModel Model,
        nn.Module<Tensor, Tensor, Tensor> Network,
        Plan Plan,
        int[] Timesteps,
        Generator Generator,
        int BatchCount,
        Action<SamplingStep>? OnStep,
        IProgress<SamplingProgress>? Progress,
        Stopwatch Clock,
        CancellationToken Cancellation);
}
