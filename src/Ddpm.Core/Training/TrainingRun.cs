using System.Text.Json;
using Ddpm.Core.Checkpoints;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Kernels;
using Ddpm.Core.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ddpm.Core.Training;

/// <summary>
/// The mutable state of one training run: the model being trained (networks and scheduler), the EMA,
/// the optimiser, the random generator, the step count and the loss history — everything a
/// checkpoint must hold for the run to continue exactly where it stopped.
/// </summary>
internal sealed class TrainingRun : IDisposable
{
    private const double SmoothingWeight = 0.98;
    private readonly DdpmTrainerOptions _options;

    /// <summary>Gets the options of this run (the trainer's, with the batch fitted to the dataset).</summary>
    public DdpmTrainerOptions Options => _options;

    /// <summary>Gets or sets the precision the run computes in and why (<see cref="Options"/> holds the same precision).</summary>
    public TrainingPrecisionChoice Precision { get; init; } = new(TrainingPrecision.Float32, "asked for (Precision = Float32)");
    private readonly BatchPlan _plan;
    private readonly List<Parameter> _parameters;
    private readonly List<string> _parameterNames;
    private readonly bool _ownsNetwork;
    private readonly MixedPrecision? _mixed;
    private bool _handedOver;

    public TrainingRun(
        DdpmTrainerOptions options,
        ImageShape shape,
        nn.Module<Tensor, Tensor, Tensor> network,
        nn.Module<Tensor, Tensor, Tensor>? emaNetwork,
        INetworkConfiguration? configuration,
        BatchPlan plan,
        int seed,
        Device device,
        bool ownsNetwork = true)
    {
        _ownsNetwork = ownsNetwork;
        _options = options;
        _plan = plan;
        Seed = seed;
        Device = device;
        network.to(device);
        emaNetwork?.to(device);
        // Built first, so that a refusal leaves nothing else allocated.
        _mixed = options.Precision == TrainingPrecision.BFloat16
            ? MixedPrecision.Create(
                configuration ?? throw new ArgumentException("Precision is BFloat16, which needs the network's configuration to build its bfloat16 copy; set DdpmTrainerOptions.Network instead of passing a network to Fit, or use Float32."),
                network,
                device)
            : null;
        var scheduler = new NoiseScheduler(options.Schedule, options.Timesteps, device);
        Model = new DdpmModel(network, scheduler, shape, configuration, 0, emaNetwork, options.Prediction);
        network.train();
        Ema = emaNetwork is null ? null : new ExponentialMovingAverage(network, emaNetwork, options.Ema);
        _parameterNames = network.named_parameters().Select(p => p.name).ToList();
        _parameters = network.parameters().ToList();

        // A network passed to Fit may carry its caller's gradients; after this, each step frees its own.
        Gradients.Release(_parameters);
        Optimizer = new AdamOptimizer(_parameters, options.Optimizer, options.LearningRate, options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon, options.WeightDecay);
        Generator = new Generator((ulong)seed, device);
    }

    public DdpmModel Model { get; }

    public ExponentialMovingAverage? Ema { get; }

    public AdamOptimizer Optimizer { get; }

    public Generator Generator { get; }

    public Device Device { get; }

    public int Seed { get; }

    public long Step { get; private set; }

    /// <summary>The CPU kernel path checked before the first step; null on CUDA.</summary>
    public CpuKernelSelection? CpuKernels { get; set; }

    /// <summary>Whether the run started from newly initialised weights: <see cref="Restore"/> clears it, and so does the trainer for fine-tuning or a network the caller passed.</summary>
    public bool FreshRun { get; set; } = true;

    public int Epoch { get; set; }

    public long ParameterCount => _parameters.Sum(p => p.numel());

    /// <summary>The bias-corrected exponential average of the loss.</summary>
    public double SmoothedLoss => Step == 0 ? double.NaN : _smoothed / (1 - Math.Pow(SmoothingWeight, Step));

    private double _smoothed;

    /// <summary>
    /// One optimiser step of Algorithm 1 over <see cref="DdpmTrainerOptions.GradientAccumulationSteps"/>
    /// micro-batches, each in its own dispose scope. The loss is checked before its gradients are used.
    /// </summary>
    public (double Loss, double LearningRate) TrainStep(BatchPrefetcher batches, string? lastCheckpoint)
    {
        double learningRate = LearningRates.At(_options, Step + 1, TotalSteps);
        Optimizer.LearningRate = learningRate;

        int accumulation = _options.GradientAccumulationSteps;
        ImageShape shape = Model.ImageShape;
        _mixed?.CopyWeightsIn();
        nn.Module<Tensor, Tensor, Tensor> network = _mixed?.Network ?? Model.Network;

        double total = 0;
        for (int micro = 0; micro < accumulation; micro++)
        {
            using var scope = NewDisposeScope();
            (long microBatch, float[] buffer, long[]? labels) = batches.Next();
            Epoch = _plan.EpochOf(microBatch);
            Tensor x0 = tensor(buffer, [_options.BatchSize, shape.Channels, shape.Height, shape.Width]);
            batches.Return(buffer);
            if (Device.type != DeviceType.CPU)
            {
                x0 = x0.to(Device);
            }

            Tensor t = DrawTimesteps(_options.BatchSize);
            Tensor noise = randn(x0.shape, dtype: x0.dtype, device: Device, generator: Generator);
            Tensor loss = Loss(network, x0, noise, t, labels is null ? null : DropLabels(labels));
            double value = loss.item<float>();
            if (!double.IsFinite(value))
            {
                throw new TrainingDivergedException(Step + 1, value, learningRate, lastCheckpoint, CpuKernels, FreshRun);
            }

            (accumulation == 1 ? loss : loss.Over(accumulation)).backward();
            total += value;
        }

        _mixed?.CopyGradientsOut();
        using (NewDisposeScope())
        {
            if (_options.MaxGradNorm is double maxNorm)
            {
                nn.utils.clip_grad_norm_(_parameters, maxNorm);
            }

            Optimizer.Step();
        }

        // Between steps (checkpoints, previews, after Fit) the network holds no gradient memory.
        Gradients.Release(_parameters);
        Step++;
        Ema?.Update(Step);
        double mean = total / accumulation;
        _smoothed = (SmoothingWeight * _smoothed) + ((1 - SmoothingWeight) * mean);
        Model.Losses.Add((float)mean);
        Model.TrainedSteps = Step;
        return (mean, learningRate);
    }

    public long TotalSteps { get; set; }

    /// <summary>t ~ Uniform{0, ..., T-1} per image (Algorithm 1, line 3; the paper's 1..T, zero-based), from the run's generator.</summary>
    internal Tensor DrawTimesteps(int count) =>
        randint(0, Model.Scheduler.Timesteps, new long[] { count }, dtype: ScalarType.Int64, device: Device, generator: Generator);

    /// <summary>
    /// The loss of one micro-batch (Algorithm 1, lines 4-5): x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε (eq. 4), the network's
    /// prediction at (x_t, t), and its distance to the target of <see cref="DdpmTrainerOptions.Prediction"/> (ε, x_0
    /// or v), min-SNR weighted when asked. The caller draws x_0, ε and t; labels are already dropped to the "no class" token.
    /// </summary>
    internal Tensor Loss(nn.Module<Tensor, Tensor, Tensor> network, Tensor x0, Tensor noise, Tensor t, Tensor? labels)
    {
        Tensor xt = Model.Scheduler.AddNoiseCore(x0, noise, t);
        Tensor target = Model.Scheduler.TargetCore(_options.Prediction, x0, noise, t);
        Tensor input = _mixed is null ? xt : xt.to(ScalarType.BFloat16);
        Tensor predicted = labels is null
            ? network.call(input, t)
            : ((IClassConditionalNetwork)network).Forward(input, t, labels);
        if (_mixed is not null)
        {
            predicted = predicted.to(ScalarType.Float32);
        }

        return TrainingLoss.Compute(_options, predicted, target, t, Model.Scheduler);
    }

    /// <summary>The batch's labels on the device, each replaced by the "no class" token with probability LabelDropout.</summary>
    internal Tensor DropLabels(long[] labels)
    {
        int noClass = ((IClassConditionalNetwork)Model.Network).ClassCount;
        Tensor values = tensor(labels, device: Device);
        Tensor dropped = rand(new long[] { labels.Length }, device: Device, generator: Generator).LessThan(_options.LabelDropout);
        return values.MaskedFill(dropped, noClass);
    }

    /// <summary>Writes everything needed to continue the run (the format is <see cref="TrainingCheckpoint"/>'s).</summary>
    public void WriteCheckpoint(CheckpointWriter writer) =>
        TrainingCheckpoint.Write(
            writer,
            Model.Contents,
            new TrainingSection(Step, Epoch, Seed, TotalSteps, _smoothed, _options.Optimizer.ToString(), JsonSerializer.SerializeToNode(_options, CheckpointJson.Options)!, Precision.ToString()),
            OptimizerState(),
            Generator);

    /// <summary>Restores a run written by <see cref="WriteCheckpoint"/> (the networks must already match the checkpoint's configuration).</summary>
    public void Restore(CheckpointReader reader)
    {
        (TrainingSection run, long[] steps, float[] losses) = TrainingCheckpoint.Restore(reader, Model.Network, Model.EmaNetwork, OptimizerState(), Generator);
        steps.CopyTo(Optimizer.Steps, 0);
        Model.Losses.Clear();
        Model.Losses.AddRange(losses);
        Step = run.Step;
        Epoch = run.Epoch;
        _smoothed = run.SmoothedLoss;
        Model.TrainedSteps = Step;
        FreshRun = false;
    }

    /// <summary>Each parameter's name and Adam state, in parameter order.</summary>
    private List<OptimizerMoments> OptimizerState() =>
        Enumerable.Range(0, _parameters.Count)
            .Select(i => new OptimizerMoments(_parameterNames[i], Optimizer.ExpAvg[i], Optimizer.ExpAvgSq[i], Optimizer.Steps[i]))
            .ToList();

    /// <summary>Hands the model to the caller: it is no longer disposed with the run.</summary>
    public DdpmModel Release()
    {
        _handedOver = true;
        Model.Network.eval();
        Model.EmaNetwork?.eval();
        return Model;
    }

    public void Dispose()
    {
        Optimizer.Dispose();
        Generator.Dispose();
        _mixed?.Dispose();
        if (_handedOver)
        {
            return;
        }

        if (_ownsNetwork)
        {
            Model.Dispose();
        }
        else
        {
            // A failed run leaves a network the caller passed in to the caller.
            Model.EmaNetwork?.Dispose();
            Model.Scheduler.Dispose();
        }
    }
}
