using Ddpm.Core.Checkpoints;
using Ddpm.Core.Data;
using Ddpm.Core.Models;
using Ddpm.Core.Tests.TestSupport;
using Ddpm.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Training;

[Collection(TensorLeakCollection.Name)]
public sealed class DdpmTrainerTests
{
    [Fact]
    public void A_tiny_SimpleUNet_lowers_the_loss_clearly_on_synthetic_images()
    {
        using Tensor images = SyntheticImages.Squares(256, 1, 16);
        var dataset = new InMemoryImageDataset(images);
        var trainer = new DdpmTrainer(new DdpmTrainerOptions
        {
            Network = TinyNetworks.SimpleUNet(),
            MaxSteps = 300,
            BatchSize = 32,
            Timesteps = 100,
            Seed = 1,
        });
        var progress = new RecordingProgress<TrainingProgress>();

        using DdpmModel model = trainer.Fit(dataset, progress);

        progress.Reports.Should().HaveCount(300);
        progress.Reports.Select(r => r.Step).Should().Equal(Enumerable.Range(1, 300).Select(i => (long)i));
        progress.Reports.Should().OnlyContain(r => r.TotalSteps == 300 && double.IsFinite(r.Loss) && r.ImagesPerSecond > 0);
        progress.Reports[^1].Epoch.Should().Be(299 / 8, "256 images at batch 32 make 8 steps per epoch");
        double first = progress.Reports.Take(20).Average(r => r.Loss);
        double last = progress.Reports.TakeLast(20).Average(r => r.Loss);
        last.Should().BeLessThan(0.6 * first, "training must lower the L1 loss clearly (first 20 steps {0:F3})", first);
        model.TrainedSteps.Should().Be(300);
        model.ImageShape.Should().Be(new ImageShape(1, 16, 16));
        model.Network.training.Should().BeFalse("Fit returns the network in eval mode");
        model.Configuration.Should().BeOfType<SimpleUNetConfiguration>();
    }

    [Fact]
    public void Epochs_bound_the_run_when_MaxSteps_is_not_set()
    {
        using Tensor images = SyntheticImages.Squares(40, 1, 8);
        var trainer = new DdpmTrainer(new DdpmTrainerOptions
        {
            Network = new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 8], TimeEmbeddingDim = 8 },
            Epochs = 3,
            BatchSize = 16,
            Timesteps = 10,
            Seed = 3,
        });
        var progress = new RecordingProgress<TrainingProgress>();

        using DdpmModel model = trainer.Fit(new InMemoryImageDataset(images), progress);

        // 40 images at batch 16: 2 full batches per epoch (the partial one is dropped, as in the notebook).
        model.TrainedSteps.Should().Be(6);
        progress.Reports.Select(r => r.Epoch).Should().Equal(0, 0, 1, 1, 2, 2);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, true)]
    public void Without_a_network_the_trainer_builds_the_small_UNet_for_the_data(int channels, bool classConditional)
    {
        using Tensor images = SyntheticImages.Squares(8, channels, 8);
        using Tensor labels = tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 });
        var dataset = new InMemoryImageDataset(images, labels, ["a", "b", "c"]);
        var trainer = new DdpmTrainer(new DdpmTrainerOptions { MaxSteps = 1, BatchSize = 4, Timesteps = 10, Seed = 2, ClassConditional = classConditional });

        using DdpmModel model = trainer.Fit(dataset);

        UNetConfiguration expected = UNetPresets.Small(channels);
        expected.ClassCount = classConditional ? 3 : 0;
        model.Configuration.Should().BeOfType<UNetConfiguration>();
        NetworkConfigurations.Same(model.Configuration!, expected).Should().BeTrue($"the default network is {expected}, not {model.Configuration}");
        model.Network.Should().BeOfType<UNet>().Which.ClassCount.Should().Be(classConditional ? 3 : 0);
    }

    [Fact]
    public void The_same_seed_trains_the_same_weights()
    {
        using Tensor images = SyntheticImages.Squares(32, 1, 8);
        var options = new DdpmTrainerOptions
        {
            Network = new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 8], TimeEmbeddingDim = 8 },
            MaxSteps = 10,
            BatchSize = 8,
            Timesteps = 20,
            Seed = 11,
        };
        var dataset = new InMemoryImageDataset(images);
        var firstLosses = new RecordingProgress<TrainingProgress>();
        var secondLosses = new RecordingProgress<TrainingProgress>();

        using DdpmModel first = new DdpmTrainer(options).Fit(dataset, firstLosses);
        using DdpmModel second = new DdpmTrainer(options).Fit(dataset, secondLosses);

        secondLosses.Reports.Select(r => r.Loss).Should().Equal(firstLosses.Reports.Select(r => r.Loss));
        var a = first.Network.state_dict();
        var b = second.Network.state_dict();
        foreach (string key in a.Keys)
        {
            a[key].IsIdenticalTo(b[key]).Should().BeTrue(key);
        }
    }

    [Fact]
    public void A_batch_larger_than_the_dataset_becomes_the_whole_dataset_with_a_warning()
    {
        using Tensor images = SyntheticImages.Squares(10, 1, 8);
        var logger = new RecordingLogger<DdpmTrainer>();
        var options = new DdpmTrainerOptions { BatchSize = 128, MaxSteps = 2, Timesteps = 10, Seed = 1, Network = TinyNetworks.SimpleUNet() };
        var progress = new RecordingProgress<TrainingProgress>();

        using DdpmModel model = new DdpmTrainer(options, logger).Fit(new InMemoryImageDataset(images), progress);

        model.TrainedSteps.Should().Be(2);
        progress.Reports.Should().OnlyContain(r => r.Epoch == r.Step - 1, "each step takes the whole dataset, one (zero-based) epoch");
        logger.Entries.Should().Contain(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning
            && e.Message.Contains("BatchSize is 128 but the dataset holds only 10 image(s); training with batches of 10", StringComparison.Ordinal));
        options.BatchSize.Should().Be(128, "the caller's options are not changed");
    }

    [Fact]
    public void Fit_leaves_libtorchs_global_generator_as_it_found_it()
    {
        using Tensor images = SyntheticImages.Squares(16, 1, 8);
        manual_seed(1234);
        using Tensor expected = randn(4);
        manual_seed(1234);

        using (new DdpmTrainer(new DdpmTrainerOptions { BatchSize = 8, MaxSteps = 2, Timesteps = 10, Seed = 5, Network = TinyNetworks.SimpleUNet() })
            .Fit(new InMemoryImageDataset(images)))
        {
        }

        // The caller's stream continues where it was: Fit seeded the generator for its weights, then put it back.
        using Tensor drawn = randn(4);
        drawn.IsIdenticalTo(expected).Should().BeTrue();
    }

    [Fact]
    public void Data_that_does_not_fit_the_network_is_rejected_before_training()
    {
        using Tensor images = SyntheticImages.Squares(10, 1, 8);
        var trainer = new DdpmTrainer(new DdpmTrainerOptions { Network = UNetPresets.Tiny(3), BatchSize = 2 });

        var act = () => trainer.Fit(new InMemoryImageDataset(images));

        act.Should().Throw<ArgumentException>().WithMessage("*1 channel(s)*ImageChannels is 3*");
    }

    [Fact]
    public void Cuda_without_a_CUDA_backend_fails_with_a_clear_error()
    {
        using Tensor images = SyntheticImages.Squares(8, 1, 8);
        var trainer = new DdpmTrainer(new DdpmTrainerOptions { BatchSize = 4, Device = "cuda", Network = TinyNetworks.SimpleUNet() });

        var act = () => trainer.Fit(new InMemoryImageDataset(images));

        act.Should().Throw<InvalidOperationException>().WithMessage("*no CUDA device is available*");
    }

    [Fact]
    public void Cuda_without_a_CUDA_backend_fails_clearly_for_sampling_and_loading_too()
    {
        using var folder = new TempDirectory();
        string path = Path.Combine(folder.Path, "m.ddpm");
        using (DdpmModel model = TinyModels.Untrained())
        {
            model.Save(path);
            var sample = () => new Ddpm.Core.Sampling.DdpmSampler(new Ddpm.Core.Sampling.DdpmSamplerOptions { Device = "cuda:0" }).Sample(model, 1);
            sample.Should().Throw<InvalidOperationException>().WithMessage("DdpmSamplerOptions.Device is \"cuda:0\" but no CUDA device is available*Use \"cpu\"*");
        }

        var load = () => DdpmModel.Load(path, device: "cuda");
        load.Should().Throw<InvalidOperationException>().WithMessage("device is \"cuda\" but no CUDA device is available*");
    }

    [Fact]
    public void A_network_the_user_built_is_trained_in_place()
    {
        using Tensor images = SyntheticImages.Squares(16, 1, 8);
        var network = new SimpleUNet(new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 8], TimeEmbeddingDim = 8 });
        using Tensor before = network.state_dict()["conv0.weight"].clone();
        var trainer = new DdpmTrainer(new DdpmTrainerOptions { MaxSteps = 3, BatchSize = 8, Timesteps = 10, Seed = 2 });

        using DdpmModel model = trainer.Fit(new InMemoryImageDataset(images), network);

        model.Network.Should().BeSameAs(network);
        model.Configuration.Should().BeNull();
        network.state_dict()["conv0.weight"].IsIdenticalTo(before).Should().BeFalse("Adam must have updated the weights");
    }

    [Fact]
    public void A_network_the_user_built_stays_usable_when_training_fails()
    {
        using Tensor images = SyntheticImages.Squares(16, 1, 8);
        using var network = new SimpleUNet(new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 8], TimeEmbeddingDim = 8 });
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var trainer = new DdpmTrainer(new DdpmTrainerOptions { MaxSteps = 3, BatchSize = 8, Timesteps = 10, Seed = 2 });

        var act = () => trainer.Fit(new InMemoryImageDataset(images), network, cancellationToken: cancellation.Token);

        act.Should().Throw<TrainingCanceledException>();
        using Tensor output = network.call(zeros(1, 1, 8, 8), tensor(new long[] { 1 }));
        output.shape.Should().Equal(1, 1, 8, 8);
    }

    [Fact]
    public void Cancellation_stops_training_with_OperationCanceledException()
    {
        using Tensor images = SyntheticImages.Squares(16, 1, 8);
        using var cancellation = new CancellationTokenSource();
        var trainer = new DdpmTrainer(new DdpmTrainerOptions
        {
            Network = new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 8], TimeEmbeddingDim = 8 },
            MaxSteps = 1000,
            BatchSize = 4,
            Seed = 5,
        });
        var progress = new RecordingProgress<TrainingProgress>(r =>
        {
            if (r.Step == 3)
            {
                cancellation.Cancel();
            }
        });

        var act = () => trainer.Fit(new InMemoryImageDataset(images), progress, cancellation.Token);

        act.Should().Throw<OperationCanceledException>();
        progress.Reports.Should().HaveCount(3, "training stops before the step after the cancellation");
    }

    [Fact]
    public void Gradients_are_released_between_steps_so_stale_ones_never_leak_into_an_update()
    {
        using Tensor images = SyntheticImages.Squares(32, 1, 16);
        var dataset = new InMemoryImageDataset(images);
        var options = new DdpmTrainerOptions { MaxSteps = 3, BatchSize = 8, Timesteps = 20, Seed = 4, Ema = new EmaOptions { Enabled = false } };
        var progress = new RecordingProgress<TrainingProgress>();
        var stale = new RecordingProgress<TrainingProgress>();

        manual_seed(11);
        using var clean = (SimpleUNet)TinyNetworks.SimpleUNet().CreateNetwork();
        manual_seed(11);
        using var dirty = (SimpleUNet)TinyNetworks.SimpleUNet().CreateNetwork();
        foreach (var parameter in dirty.parameters())
        {
            // Gradients left over from the caller's own use of the network.
            using Tensor gradient = full_like(parameter, 100f);
            parameter.grad = gradient;
        }

        using DdpmModel fromClean = new DdpmTrainer(options).Fit(dataset, clean, progress);
        using DdpmModel fromDirty = new DdpmTrainer(options).Fit(dataset, dirty, stale);

        stale.Reports.Select(r => r.Loss).Should().Equal(progress.Reports.Select(r => r.Loss), "the first step must not add the caller's stale gradients");
        foreach (var (a, b) in clean.parameters().Zip(dirty.parameters()))
        {
            using var scope = NewDisposeScope();
            a.equal(b).all().item<bool>().Should().BeTrue("both runs take identical steps");
        }

        clean.parameters().Select(p => p.grad).Should().AllSatisfy(g => g.Should().BeNull(), "the trained network keeps no gradient memory after Fit");
    }
}
