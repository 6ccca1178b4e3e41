using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Schedules;
using Ddpm.Core.Tests.TestSupport;
using Ddpm.Core.Training;
using FluentAssertions;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Training;

/// <summary>What one training step draws and updates, checked on the run the trainer uses.</summary>
[Collection(TensorLeakCollection.Name)]
public sealed class TrainingStepTests
{
    [Fact]
    public void Timesteps_are_drawn_uniformly_from_zero_to_T_minus_one()
    {
        using TrainingRun run = Run(new DdpmTrainerOptions { Network = TinyNetworks.SimpleUNet(), Timesteps = 50, BatchSize = 4, Seed = 3 });
        const int draws = 100_000;

        using Tensor t = run.DrawTimesteps(draws);
        long[] values = t.data<long>().ToArray();

        values.Min().Should().Be(0, "t = 0 (the paper's t = 1) is trained");
        values.Max().Should().Be(49, "t = T - 1 is trained and nothing above it");
        double expected = draws / 50.0;
        foreach (IGrouping<long, long> bucket in values.GroupBy(v => v))
        {
            // Binomial standard deviation √(n p (1 - p)); 5 of them.
            bucket.Count().Should().BeCloseTo((int)expected, (uint)(5 * Math.Sqrt(draws * (1 / 50.0) * (49 / 50.0))), $"t = {bucket.Key}");
        }
    }

    [Fact]
    public void Labels_are_dropped_to_the_no_class_token_at_the_label_dropout_rate()
    {
        using TrainingRun run = Run(new DdpmTrainerOptions
        {
            Network = new UNetConfiguration { ImageChannels = 1, BaseChannels = 8, ChannelMultipliers = [1], AttentionLevels = [], NormGroups = 4, ClassCount = 10 },
            ClassConditional = true, LabelDropout = 0.2, Timesteps = 10, BatchSize = 4, Seed = 3,
        });
        const int count = 50_000;
        long[] labels = Enumerable.Range(0, count).Select(i => (long)(i % 10)).ToArray();

        using Tensor dropped = run.DropLabels(labels);
        long[] values = dropped.data<long>().ToArray();

        int replaced = values.Count(v => v == 10);
        replaced.Should().BeCloseTo((int)(0.2 * count), (uint)(5 * Math.Sqrt(count * 0.2 * 0.8)), "about LabelDropout of the labels become the no-class token (10)");
        values.Where((v, i) => v != 10).Select((v, i) => v).Should().OnlyContain(v => v >= 0 && v < 10);
        Enumerable.Range(0, count).Where(i => values[i] != 10).Should().OnlyContain(i => values[i] == labels[i], "the others keep their class");
    }

    [Fact]
    public void The_average_the_trainer_keeps_follows_diffusers_EMA_schedule_with_its_start_and_interval()
    {
        // diffusers' EMAModel: d = 1 - (1 + (s - start - 1)/γ)^(-power), 0 until then, capped; updated every
        // `interval` steps after the start. Recomputed here in double from the weights after each step.
        var ema = new EmaOptions { MaxDecay = 0.9, Power = 0.75, InverseGamma = 1, StartStep = 2, UpdateInterval = 2 };
        using Tensor images = SyntheticImages.Squares(16, 1, 8);
        var dataset = new InMemoryImageDataset(images);
        var options = new DdpmTrainerOptions { Network = TinyNetworks.SimpleUNet(), Timesteps = 10, BatchSize = 4, Seed = 3, Ema = ema, LearningRate = 1e-2 };
        using TrainingRun run = Run(options);
        var plan = new BatchPlan(dataset.Count, options.BatchSize, 3, shuffle: true, flip: false);
        using var batches = new BatchPrefetcher(dataset, plan, 0, 12, depth: 2);
        string name = run.Model.Network.named_parameters().First().name;
        var history = new List<double[]>();

        for (int step = 0; step < 12; step++)
        {
            run.TrainStep(batches, lastCheckpoint: null);
            history.Add(Values(run.Model.Network.named_parameters().First(p => p.name == name).parameter));
        }

        double[] expected = new double[history[0].Length];
        for (int s = 1; s <= 12; s++)
        {
            if (s % ema.UpdateInterval != 0 && s > ema.StartStep)
            {
                continue;
            }

            long effective = s - ema.StartStep - 1;
            double decay = effective <= 0 ? 0 : Math.Min(ema.MaxDecay, 1 - Math.Pow(1 + (effective / ema.InverseGamma), -ema.Power));
            for (int i = 0; i < expected.Length; i++)
            {
                expected[i] = (decay * expected[i]) + ((1 - decay) * history[s - 1][i]);
            }
        }

        double[] actual = Values(run.Model.EmaNetwork!.named_parameters().First(p => p.name == name).parameter);
        for (int i = 0; i < expected.Length; i++)
        {
            actual[i].Should().BeApproximately(expected[i], 1e-5, $"{name}[{i}]");
        }

        // Not the plain weights: the average lags them.
        actual.Zip(history[^1]).Max(p => Math.Abs(p.First - p.Second)).Should().BeGreaterThan(1e-4);
    }

    [Fact]
    public void Guidance_uses_the_unconditional_plus_w_times_the_difference_of_the_two_predictions()
    {
        // A network whose ε̂ is the label's value everywhere (the no-class token 3 → 3): with w = 2.5, class 1 gives
        // ε̂ = 3 + 2.5 (1 - 3) = -2, and one DDIM step (η = 0) from x_T to x_s follows eq. 12 with that ε̂.
        using var network = new LabelNetwork(classes: 3);
        using DdpmModel model = new(network, new NoiseScheduler(KnownBetaSchedules.Linear, 10), new ImageShape(1, 2, 2));
        var states = new List<Tensor>();
        var sampler = new DdpmSampler(new DdpmSamplerOptions
        {
            Seed = 1, Method = SamplingMethod.Ddim, Steps = 2, Spacing = TimestepSpacing.Leading, Classes = [1], GuidanceScale = 2.5,
            ClipPredictedSample = false, ClampEachStep = false,
        });

        using Tensor images = sampler.Sample(model, 1, s => states.Add(s.Sample.clone()));

        // Leading with S = 2 of T = 10 visits t = 5, then t = 0; the first state is x at t = 0 (from t = 5).
        double alphaBar5 = model.Scheduler.ValueAt(model.Scheduler.AlphasCumprod, 5);
        double alphaBar0 = model.Scheduler.ValueAt(model.Scheduler.AlphasCumprod, 0);
        using var scope = NewDisposeScope();
        Tensor xT = network.Inputs[0];
        const double guided = 3 + (2.5 * (1 - 3));
        Tensor x0 = (xT - (Math.Sqrt(1 - alphaBar5) * guided)) / Math.Sqrt(alphaBar5);
        Tensor expected = (Math.Sqrt(alphaBar0) * x0) + (Math.Sqrt(1 - alphaBar0) * guided);
        states[0].allclose(expected, rtol: 1e-5, atol: 1e-5).Should().BeTrue();
        network.Labels[0].Should().Equal(1, 3);
        states.ForEach(s => s.Dispose());
    }

    [Fact]
    public void Every_sampling_method_samples_with_guidance_through_the_same_two_predictions()
    {
        foreach (SamplingMethod method in Enum.GetValues<SamplingMethod>())
        {
            using var network = new LabelNetwork(classes: 3);
            using DdpmModel model = new(network, new NoiseScheduler(KnownBetaSchedules.Linear, 10), new ImageShape(1, 2, 2));
            var sampler = new DdpmSampler(new DdpmSamplerOptions { Seed = 1, Method = method, Steps = 4, Classes = [1, 2], GuidanceScale = 2.5, ClipPredictedSample = false });

            using Tensor images = sampler.Sample(model, 2);

            images.isfinite().all().item<bool>().Should().BeTrue(method.ToString());
            network.Labels.Should().OnlyContain(l => l.SequenceEqual(new long[] { 1, 2, 3, 3 }), $"{method}: every call (Heun's second one too) runs the classes and the no-class token together");
            network.Labels.Should().HaveCount(method == SamplingMethod.Heun ? 7 : 4, $"{method}: one call per step, Heun two but one on the last");
        }
    }

    private static TrainingRun Run(DdpmTrainerOptions options)
    {
        var shape = new ImageShape(1, 8, 8);
        INetworkConfiguration configuration = options.Network!;
        manual_seed(options.Seed ?? 0);
        var plan = new BatchPlan(16, options.BatchSize, options.Seed ?? 0, shuffle: true, flip: false);
        return new TrainingRun(options, shape, configuration.CreateNetwork(), options.Ema.Enabled ? configuration.CreateNetwork() : null, configuration, plan, options.Seed ?? 0, CPU);
    }

    private static double[] Values(Tensor parameter) => parameter.detach().to(ScalarType.Float64).flatten().data<double>().ToArray();

    /// <summary>A class-conditional "network" that predicts each image's label value everywhere and records its inputs.</summary>
    private sealed class LabelNetwork(int classes) : nn.Module<Tensor, Tensor, Tensor>("label"), IClassConditionalNetwork
    {
        public List<Tensor> Inputs { get; } = [];

        public List<long[]> Labels { get; } = [];

        public int ClassCount => classes;

        public override Tensor forward(Tensor x, Tensor t) => Forward(x, t, full(new long[] { x.shape[0] }, classes, dtype: ScalarType.Int64));

        public Tensor Forward(Tensor x, Tensor timestep, Tensor classLabels)
        {
            Inputs.Add(x[0].unsqueeze(0).clone().DetachFromDisposeScope());
            Labels.Add(classLabels.data<long>().ToArray());
            return ones_like(x) * classLabels.to(x.dtype).view(-1, 1, 1, 1);
        }
    }
}
