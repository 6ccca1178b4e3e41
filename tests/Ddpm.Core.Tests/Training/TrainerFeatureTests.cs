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

[Collection(TensorLeakCollection.Name)]
public sealed class TrainerFeatureTests : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly Tensor _images = SyntheticImages.Squares(32, 1, 8);

    public void Dispose()
    {
        _images.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public void The_learning_rate_warms_up_linearly_then_follows_a_cosine_to_the_minimum()
    {
        var options = Small();
        options.MaxSteps = 20;
        options.LearningRate = 1e-3;
        options.WarmupSteps = 4;
        options.LearningRateSchedule = LearningRateSchedule.Cosine;
        options.MinLearningRate = 1e-5;
        var progress = new RecordingProgress<TrainingProgress>();

        using (new DdpmTrainer(options).Fit(Data(), progress))
        {
        }

        double[] rates = progress.Reports.Select(r => r.LearningRate).ToArray();
        rates[..4].Should().Equal(0.25e-3, 0.5e-3, 0.75e-3, 1e-3);
        rates[4].Should().BeApproximately(1e-5 + (0.5 * (1e-3 - 1e-5) * (1 + Math.Cos(Math.PI / 16))), 1e-12);
        rates[^1].Should().BeApproximately(1e-5, 1e-12, "cosine decay ends at MinLearningRate on the last step");
        rates.Skip(4).Should().BeInDescendingOrder();
    }

    [Fact]
    public void Threads_sets_the_cpu_thread_count_while_training_and_sampling_and_puts_the_previous_one_back()
    {
        int before = get_num_threads();
        int wanted = before == 1 ? 2 : 1;
        var options = Small();
        options.MaxSteps = 2;
        options.Threads = wanted;
        var duringTraining = new List<int>();
        var duringSampling = new List<int>();

        using (DdpmModel model = new DdpmTrainer(options).Fit(Data(), new RecordingProgress<TrainingProgress>(_ => duringTraining.Add(get_num_threads()))))
        {
            get_num_threads().Should().Be(before, "Fit puts the thread count back");
            var sampler = new DdpmSampler(new DdpmSamplerOptions { Method = SamplingMethod.Ddim, Steps = 2, Seed = 0, Threads = wanted });
            using Tensor images = sampler.Sample(model, 1, progress: new RecordingProgress<SamplingProgress>(_ => duringSampling.Add(get_num_threads())));
        }

        duringTraining.Should().Equal(wanted, wanted);
        duringSampling.Should().Equal(wanted, wanted);
        get_num_threads().Should().Be(before, "Sample puts the thread count back");
    }

    [Fact]
    public void A_scope_without_a_thread_count_inside_another_keeps_the_enclosing_count()
    {
        int before = get_num_threads();
        int wanted = before == 1 ? 2 : 1;

        using (CpuThreads.Use(wanted))
        {
            using (CpuThreads.Use(null))
            {
                get_num_threads().Should().Be(wanted, "a training run's preview sampling keeps the run's Threads");
            }

            get_num_threads().Should().Be(wanted);
        }

        get_num_threads().Should().Be(before);
        using (CpuThreads.Use(null))
        {
            get_num_threads().Should().Be(Environment.ProcessorCount, "outside any scope null means every logical core");
        }
    }

    [Fact]
    public void A_constant_schedule_keeps_the_rate_after_warm_up()
    {
        var options = Small();
        options.MaxSteps = 6;
        options.WarmupSteps = 2;
        var progress = new RecordingProgress<TrainingProgress>();

        using (new DdpmTrainer(options).Fit(Data(), progress))
        {
        }

        progress.Reports.Select(r => r.LearningRate).Should().Equal(0.5e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3);
    }

    [Fact]
    public void AdamW_with_weight_decay_trains_differently_from_Adam()
    {
        var adam = Small();
        var adamW = Small();
        adamW.Optimizer = OptimizerType.AdamW;
        adamW.WeightDecay = 0.5;

        using DdpmModel a = new DdpmTrainer(adam).Fit(Data());
        using DdpmModel w = new DdpmTrainer(adamW).Fit(Data());

        // Decoupled decay shrinks every weight by lr·λ per step on top of Adam's update.
        double normA = a.Network.parameters().Sum(p => p.square().sum().item<float>());
        double normW = w.Network.parameters().Sum(p => p.square().sum().item<float>());
        normW.Should().BeLessThan(normA);
    }

    [Fact]
    public void Gradient_clipping_bounds_the_update()
    {
        var free = Small();
        var clipped = Small();
        clipped.MaxGradNorm = 1e-12;

        using DdpmModel a = new DdpmTrainer(free).Fit(Data());
        using DdpmModel b = new DdpmTrainer(clipped).Fit(Data());
        using DdpmModel start = Untrained(free);

        // With gradients clipped to 1e-12, Adam's step g/(√v + ε) is about 1e-4 of its usual size.
        double moved = Distance(a.Network, start.Network);
        double movedClipped = Distance(b.Network, start.Network);
        movedClipped.Should().BeLessThan(0.01 * moved);
    }

    [Fact]
    public void Gradient_accumulation_takes_one_step_per_group_of_batches()
    {
        var options = Small();
        options.MaxSteps = null;
        options.Epochs = 2;
        options.BatchSize = 4;
        options.GradientAccumulationSteps = 2;
        var progress = new RecordingProgress<TrainingProgress>();

        using DdpmModel model = new DdpmTrainer(options).Fit(Data(), progress);

        // 32 images at batch 4: 8 batches per epoch, so 4 optimiser steps per epoch.
        model.TrainedSteps.Should().Be(8);
        progress.Reports.Select(r => r.Epoch).Should().Equal(0, 0, 0, 0, 1, 1, 1, 1);
    }

    [Fact]
    public void Prefetching_on_a_background_thread_keeps_the_order_exactly()
    {
        var inline = Small();
        inline.PrefetchBatches = 0;
        var ahead = Small();
        ahead.PrefetchBatches = 5;
        var a = new RecordingProgress<TrainingProgress>();
        var b = new RecordingProgress<TrainingProgress>();

        using (new DdpmTrainer(inline).Fit(Data(), a))
        using (new DdpmTrainer(ahead).Fit(Data(), b))
        {
        }

        b.Reports.Select(r => r.Loss).Should().Equal(a.Reports.Select(r => r.Loss));
    }

    [Fact]
    public void A_failing_dataset_read_surfaces_on_the_training_thread()
    {
        var options = Small();
        options.PrefetchBatches = 2;

        var act = () => new DdpmTrainer(options).Fit(new FailingDataset(new InMemoryImageDataset(_images), failAt: 20));

        act.Should().Throw<InvalidOperationException>().WithMessage("Reading the training data failed: image 20 is unreadable*")
            .WithInnerException<IOException>();
    }

    [Theory]
    [InlineData(float.NaN, 0)]
    [InlineData(float.PositiveInfinity, 2)]
    public void Non_finite_values_in_streamed_data_stop_training_at_their_batch_naming_the_image(float value, int prefetch)
    {
        var options = Small();
        options.Shuffle = false;
        options.PrefetchBatches = prefetch;
        var progress = new RecordingProgress<TrainingProgress>();

        // Image 20 is in the third batch of 8: two steps run, then the batch that holds it is refused.
        var act = () => new DdpmTrainer(options).Fit(new FailingDataset(new InMemoryImageDataset(_images), failAt: 20, value: value), progress);

        act.Should().Throw<Exception>().Where(e => e is InvalidDataException || e.InnerException is InvalidDataException)
            .Which.Message.Should().Match($"*Image 20 of the dataset (FailingDataset) holds the value {value}*must be finite*");
        progress.Reports.Should().HaveCount(2);
    }

    [Fact]
    public void A_non_finite_loss_stops_training_naming_the_step_and_keeps_the_weights_of_the_last_good_step()
    {
        var options = Small();
        options.Shuffle = false;
        options.RandomHorizontalFlip = false;
        options.CheckpointDirectory = _folder.Path;
        options.CheckpointInterval = 1;
        var progress = new RecordingProgress<TrainingProgress>();

        // Image 24 is float.MaxValue everywhere: finite, so the data check passes, but with x_0 as the
        // target the squared error overflows. With batch 8 and no shuffle it is in the fourth batch.
        options.Prediction = PredictionType.Sample;
        options.Loss = LossType.L2;
        var act = () => new DdpmTrainer(options).Fit(new FailingDataset(new InMemoryImageDataset(_images), failAt: 24, value: float.MaxValue), progress);

        TrainingDivergedException diverged = act.Should().Throw<TrainingDivergedException>()
            .WithMessage("The training loss became * at step 4. Lower the learning rate*The CPU kernel check passed before training (*), so wrong CPU kernels are an unlikely cause.*checkpoint-00000003.ddpm*")
            .Which;
        diverged.Step.Should().Be(4);
        diverged.CpuKernels.Should().BeSameAs(Ddpm.Core.Kernels.CpuKernels.Current, "a fresh run on the CPU names the kernel path it checked");
        progress.Reports.Should().HaveCount(3);
        using DdpmModel last = DdpmModel.Load(Path.Combine(_folder.Path, "checkpoint-00000003.ddpm"));
        last.Network.parameters().Should().OnlyContain(p => p.isfinite().all().item<bool>());
    }

    [Fact]
    public void Cancellation_without_a_checkpoint_folder_says_nothing_was_saved()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        var act = () => new DdpmTrainer(Small()).Fit(Data(), cancellationToken: cancellation.Token);

        act.Should().Throw<TrainingCanceledException>().WithMessage("*after 0 step(s) (no checkpoint directory was set*")
            .Which.CheckpointPath.Should().BeNull();
    }

    [Theory]
    [InlineData(PredictionType.Epsilon)]
    [InlineData(PredictionType.Sample)]
    [InlineData(PredictionType.Velocity)]
    public void Min_snr_weighting_scales_each_samples_loss_as_Hang_et_al_define_for_each_target(PredictionType prediction)
    {
        var options = new DdpmTrainerOptions { Loss = LossType.L2, MinSnrGamma = 5, Prediction = prediction };
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Linear, 300);
        using var scope = NewDisposeScope();
        Tensor predicted = randn(4, 1, 4, 4);
        Tensor target = randn(4, 1, 4, 4);
        Tensor t = tensor(new long[] { 0, 30, 100, 299 });

        double weighted = TrainingLoss.Compute(options, predicted, target, t, scheduler).item<float>();

        // Hang et al. 2023, §3.4: min(SNR, γ) over SNR for ε, over 1 for x₀, over SNR + 1 for v.
        double expected = 0;
        for (int i = 0; i < 4; i++)
        {
            double alphaBar = scheduler.ValueAt(scheduler.AlphasCumprod, (int)t[i].item<long>());
            double snr = alphaBar / (1 - alphaBar);
            double mse = (predicted[i] - target[i]).square().mean().item<float>();
            double weight = prediction switch
            {
                PredictionType.Epsilon => Math.Min(snr, 5) / snr,
                PredictionType.Sample => Math.Min(snr, 5),
                _ => Math.Min(snr, 5) / (snr + 1),
            };
            expected += weight * mse / 4;
        }

        weighted.Should().BeApproximately(expected, 1e-5 * Math.Max(1, expected));
        double plain = TrainingLoss.Compute(new DdpmTrainerOptions { Loss = LossType.L2, Prediction = prediction }, predicted, target, t, scheduler).item<float>();
        plain.Should().NotBeApproximately(weighted, 1e-3, "the weights differ from 1");
    }

    [Theory]
    [InlineData(PredictionType.Sample)]
    [InlineData(PredictionType.Velocity)]
    public void Min_snr_gives_the_pure_noise_step_of_a_zero_terminal_snr_schedule_weight_one(PredictionType prediction)
    {
        var options = new DdpmTrainerOptions { Loss = LossType.L2, MinSnrGamma = 5, Prediction = prediction };
        using var scheduler = new NoiseScheduler(new ZeroTerminalSnrSchedule(KnownBetaSchedules.Linear), 100);
        using var scope = NewDisposeScope();
        Tensor predicted = randn(1, 1, 4, 4);
        Tensor target = randn(1, 1, 4, 4);

        double loss = TrainingLoss.Compute(options, predicted, target, tensor(new long[] { 99 }), scheduler).item<float>();

        // SNR is 0 there: min(0, γ)/(0 + 1) = 0 would leave the step trailing sampling starts from untrained.
        double mse = (predicted - target).square().mean().item<float>();
        loss.Should().BeApproximately(mse, 1e-6);
    }

    [Fact]
    public void Min_snr_training_runs_and_lowers_nothing_to_NaN()
    {
        var options = Small();
        options.MinSnrGamma = 5;
        var progress = new RecordingProgress<TrainingProgress>();

        using (new DdpmTrainer(options).Fit(Data(), progress))
        {
        }

        progress.Reports.Should().OnlyContain(r => double.IsFinite(r.Loss) && r.Loss > 0);
    }

    [Fact]
    public void The_trained_model_keeps_both_weight_sets_and_samples_the_average_by_default()
    {
        using DdpmModel model = new DdpmTrainer(Small()).Fit(Data());

        model.EmaNetwork.Should().NotBeNull();
        Distance(model.Network, model.EmaNetwork!).Should().BeGreaterThan(0, "the average lags the trained weights");
        using Tensor byDefault = new DdpmSampler(new DdpmSamplerOptions { Seed = 2 }).Sample(model, 2);
        using Tensor ema = new DdpmSampler(new DdpmSamplerOptions { Seed = 2, Weights = ModelWeights.Ema }).Sample(model, 2);
        using Tensor trained = new DdpmSampler(new DdpmSamplerOptions { Seed = 2, Weights = ModelWeights.Trained }).Sample(model, 2);
        byDefault.IsIdenticalTo(ema).Should().BeTrue();
        trained.IsIdenticalTo(ema).Should().BeFalse();
    }

    [Fact]
    public void Ema_can_be_switched_off()
    {
        var options = Small();
        options.Ema = new EmaOptions { Enabled = false };

        using DdpmModel model = new DdpmTrainer(options).Fit(Data());

        model.EmaNetwork.Should().BeNull();
    }

    [Fact]
    public void Preview_grids_and_TensorBoard_scalars_are_written_during_training()
    {
        var options = Small();
        options.MaxSteps = 4;
        options.SampleInterval = 2;
        options.SampleCount = 4;
        options.SampleDirectory = Path.Combine(_folder.Path, "samples");
        options.TensorBoardDirectory = Path.Combine(_folder.Path, "tb");

        using (new DdpmTrainer(options).Fit(Data()))
        {
        }

        Directory.GetFiles(options.SampleDirectory).Select(Path.GetFileName).Order()
            .Should().Equal("samples-step00000002.png", "samples-step00000004.png");
        Directory.GetFiles(options.TensorBoardDirectory).Should().ContainSingle(f => Path.GetFileName(f).StartsWith("events.out.tfevents", StringComparison.Ordinal))
            .Which.Should().Match(f => new FileInfo(f).Length > 100);
    }

    [Theory]
    [InlineData(PredictionType.Sample, false)]
    [InlineData(PredictionType.Velocity, true)]
    public void Other_prediction_targets_train_sample_and_survive_a_save(PredictionType prediction, bool zeroTerminalSnr)
    {
        var options = Small();
        options.Prediction = prediction;
        options.Loss = LossType.L2;
        options.MinSnrGamma = 5;
        if (zeroTerminalSnr)
        {
            options.Schedule = new ZeroTerminalSnrSchedule(KnownBetaSchedules.Linear);
        }

        var progress = new RecordingProgress<TrainingProgress>();
        using DdpmModel model = new DdpmTrainer(options).Fit(Data(), progress);
        string path = _folder.File($"{prediction}.ddpm");
        model.Save(path);
        using DdpmModel loaded = DdpmModel.Load(path);

        progress.Reports.Should().OnlyContain(r => double.IsFinite(r.Loss));
        model.PredictionType.Should().Be(prediction);
        loaded.PredictionType.Should().Be(prediction);
        foreach (SamplingMethod method in Enum.GetValues<SamplingMethod>())
        {
            using Tensor images = new DdpmSampler(new DdpmSamplerOptions { Seed = 1, Method = method, ClampEachStep = false }).Sample(loaded, 2);
            images.isfinite().all().item<bool>().Should().BeTrue($"{method} sampling of a {prediction} model");
        }
    }

    [Fact]
    public void Zero_terminal_snr_with_noise_prediction_is_refused_with_advice()
    {
        var options = Small();
        options.Schedule = new ZeroTerminalSnrSchedule(KnownBetaSchedules.Linear);

        var act = () => new DdpmTrainer(options);

        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*reaches zero SNR*at step 19 of T = 20 but Prediction is Epsilon*Use Prediction = Velocity*");
    }

    [Fact]
    public void Zero_snr_is_found_in_the_values_so_a_custom_schedule_ending_in_beta_one_is_refused_for_noise_prediction()
    {
        double[] betas = [.. KnownBetaSchedules.Linear.GetBetas(10)[..9], 1.0];
        var options = new DdpmTrainerOptions { Schedule = new CustomBetaSchedule(betas, "ends-in-one"), Timesteps = 10 };

        var epsilon = () => new DdpmTrainer(options);
        var velocity = () => new DdpmTrainer(new DdpmTrainerOptions { Schedule = options.Schedule, Timesteps = 10, Prediction = PredictionType.Velocity });

        epsilon.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*reaches zero SNR (ᾱ = 0, a pure-noise x_t) at step 9 of T = 10 but Prediction is Epsilon*");
        velocity.Should().NotThrow();
    }

    [Fact]
    public void Sampling_a_noise_prediction_model_from_a_step_where_alpha_bar_is_zero_is_refused()
    {
        // A model assembled by hand (the trainer refuses to make one): ε-prediction with zero terminal SNR.
        using DdpmModel model = new(
            new SimpleUNet(TinyNetworks.SimpleUNet()), new NoiseScheduler(new ZeroTerminalSnrSchedule(KnownBetaSchedules.Linear), 20), new ImageShape(1, 8, 8));

        var trailing = () => new DdpmSampler(new DdpmSamplerOptions { Seed = 1 }).Sample(model, 1);
        var leading = () => new DdpmSampler(new DdpmSamplerOptions { Seed = 1, Spacing = TimestepSpacing.Leading, Steps = 10 }).Sample(model, 1).Dispose();

        trailing.Should().Throw<ArgumentException>().WithMessage("*predicts noise (Epsilon) but its ᾱ is 0 at timestep 19, where sampling starts*Spacing = Leading*Prediction = Velocity*");
        leading.Should().NotThrow("leading spacing with S < T starts below the pure-noise step");
    }

    [Fact]
    public void Resuming_with_another_prediction_type_is_refused()
    {
        var options = Small();
        options.CheckpointDirectory = _folder.Path;
        using (new DdpmTrainer(options).Fit(Data()))
        {
        }

        options.Prediction = PredictionType.Velocity;
        var act = () => new DdpmTrainer(options).Fit(Data(), _folder.Path);

        act.Should().Throw<Ddpm.Core.Checkpoints.CheckpointFormatException>().WithMessage("*trained to predict Epsilon but the options say Velocity*");
    }

    private static DdpmTrainerOptions Small() => new()
    {
        Network = new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 8], TimeEmbeddingDim = 8 },
        MaxSteps = 8,
        BatchSize = 8,
        Timesteps = 20,
        Seed = 4,
    };

    private InMemoryImageDataset Data() => new(_images);

    private static DdpmModel Untrained(DdpmTrainerOptions options)
    {
        manual_seed(options.Seed!.Value);
        INetworkConfiguration configuration = options.Network!;
        var network = configuration.CreateNetwork();
        return new DdpmModel(network, new NoiseScheduler(options.Schedule, options.Timesteps), new ImageShape(1, 8, 8), configuration);
    }

    /// <summary>The L1 distance between two networks' trainable parameters (BatchNorm statistics excluded).</summary>
    private static double Distance(nn.Module a, nn.Module b)
    {
        var right = b.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var scope = NewDisposeScope();
        return a.named_parameters().Sum(p => (p.parameter - right[p.name]).abs().sum().item<float>());
    }

    [Fact]
    public void DataWait_counts_the_time_the_step_spent_getting_its_batch()
    {
        // Without prefetching the training thread reads each batch itself: 6 steps of 4 images at
        // 10 ms or more each is at least 240 ms of waiting, however loaded the machine is.
        var options = new DdpmTrainerOptions
        {
            Network = TinyNetworks.SimpleUNet(),
            MaxSteps = 6,
            BatchSize = 4,
            Timesteps = 10,
            Seed = 1,
            PrefetchBatches = 0,
            Ema = new EmaOptions { Enabled = false },
        };
        var progress = new RecordingProgress<TrainingProgress>();

        using (new DdpmTrainer(options).Fit(new SlowDataset(Data(), TimeSpan.FromMilliseconds(10)), progress))
        {
        }

        var last = progress.Reports[^1];
        last.DataWait.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(6 * 4 * 10));
        last.DataWait.Should().BeLessThanOrEqualTo(last.Elapsed);
        progress.Reports[0].DataWait.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(4 * 10), "the first step's batch is counted in the first report");
        progress.Reports.Select(r => r.DataWait).Should().BeInAscendingOrder("the wait is counted from the start of the run");
    }

    /// <summary>Wraps a dataset; reading image <c>failAt</c> throws, or yields <c>value</c> in every element.</summary>
    private sealed class FailingDataset(IImageDataset inner, int failAt, float? value = null) : IImageDataset
    {
        public int Count => inner.Count;

        public ImageShape Shape => inner.Shape;

        public void CopyImage(int index, Span<float> destination)
        {
            inner.CopyImage(index, destination);
            if (index != failAt)
            {
                return;
            }

            if (value is not float fill)
            {
                throw new IOException($"image {index} is unreadable");
            }

            destination.Fill(fill);
        }
    }

    /// <summary>Wraps a dataset; every image takes <c>delay</c> to read, like a slow disk or decoder.</summary>
    private sealed class SlowDataset(IImageDataset inner, TimeSpan delay) : IImageDataset
    {
        public int Count => inner.Count;

        public ImageShape Shape => inner.Shape;

        public void CopyImage(int index, Span<float> destination)
        {
            Thread.Sleep(delay);
            inner.CopyImage(index, destination);
        }
    }
}
