using Ddpm.Core.Data;
using Ddpm.Core.Models;
using Ddpm.Core.Tests.TestSupport;
using Ddpm.Core.Training;
using FluentAssertions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Training;

[Collection(TensorLeakCollection.Name)]
public sealed class MixedPrecisionTests : IDisposable
{
    private readonly Tensor _images = SyntheticImages.Squares(128, 1, 8);

    public void Dispose() => _images.Dispose();

    [Fact]
    public void BFloat16_training_follows_the_float32_loss_and_keeps_every_weight_in_float32()
    {
        var float32 = new RecordingProgress<TrainingProgress>();
        var bfloat16 = new RecordingProgress<TrainingProgress>();

        using DdpmModel reference = new DdpmTrainer(Options(TrainingPrecision.Float32)).Fit(Data(), float32);
        using DdpmModel mixed = new DdpmTrainer(Options(TrainingPrecision.BFloat16)).Fit(Data(), bfloat16);

        double first = bfloat16.Reports.Take(10).Average(r => r.Loss);
        double last = bfloat16.Reports.TakeLast(20).Average(r => r.Loss);
        double referenceLast = float32.Reports.TakeLast(20).Average(r => r.Loss);
        bfloat16.Reports.Should().OnlyContain(r => double.IsFinite(r.Loss));
        last.Should().BeLessThan(0.7 * first, "bfloat16 training learns");
        last.Should().BeApproximately(referenceLast, 0.15 * referenceLast, "bfloat16 follows float32 on the same seed and batches");
        mixed.Network.parameters().Concat(mixed.EmaNetwork!.parameters()).Should().OnlyContain(p => p.dtype == ScalarType.Float32, "the optimiser's weights and the EMA stay float32");
        Distance(mixed.Network, reference.Network).Should().BeGreaterThan(0, "the two runs computed in different precisions");
    }

    [Fact]
    public void BFloat16_trains_SimpleUNet_and_carries_BatchNorm_statistics_back_to_the_float32_network()
    {
        var options = Options(TrainingPrecision.BFloat16);
        options.Network = TinyNetworks.SimpleUNet(1);
        options.MaxSteps = 5;
        var progress = new RecordingProgress<TrainingProgress>();

        using DdpmModel model = new DdpmTrainer(options).Fit(Data(), progress);

        progress.Reports.Should().HaveCount(5).And.OnlyContain(r => double.IsFinite(r.Loss));
        Tensor runningVariance = model.Network.named_buffers().First(b => b.name.EndsWith("running_var", StringComparison.Ordinal)).buffer;
        runningVariance.dtype.Should().Be(ScalarType.Float32);
        runningVariance.eq(1).all().item<bool>().Should().BeFalse("the running statistics moved during training and were copied back");
    }

    [Fact]
    public void The_compute_copy_is_bfloat16_except_normalisation_and_takes_the_masters_weights_and_returns_their_gradients()
    {
        UNetConfiguration configuration = UNetPresets.Tiny(1);
        using nn.Module<Tensor, Tensor, Tensor> master = configuration.CreateNetwork();
        using MixedPrecision mixed = MixedPrecision.Create(configuration, master, CPU);

        mixed.CopyWeightsIn();
        using (Tensor x = randn(2, 1, 8, 8, dtype: ScalarType.BFloat16))
        using (Tensor t = tensor(new long[] { 3, 40 }))
        using (Tensor output = mixed.Network.call(x, t))
        {
            output.dtype.Should().Be(ScalarType.BFloat16);
            using Tensor loss = output.to(ScalarType.Float32).square().mean();
            loss.backward();
        }

        mixed.CopyGradientsOut();
        foreach (((string name, Parameter copy), Parameter weight) in mixed.Network.named_parameters().Zip(master.parameters()))
        {
            bool normalisation = name.Contains("norm", StringComparison.Ordinal);
            copy.dtype.Should().Be(normalisation ? ScalarType.Float32 : ScalarType.BFloat16, name);
            using Tensor rounded = weight.to(ScalarType.BFloat16).to(copy.dtype);
            copy.IsIdenticalTo(rounded).Should().BeTrue($"{name} holds the master weight (rounded to bfloat16)");
            using Tensor masterGradient = weight.grad!;
            using Tensor copyGradient = copy.grad!;
            masterGradient.dtype.Should().Be(ScalarType.Float32);
            masterGradient.IsIdenticalTo(copyGradient.to(ScalarType.Float32)).Should().BeTrue($"{name}'s gradient reaches the master");
        }
    }

    [Fact]
    public void BFloat16_needs_a_configuration_to_build_its_copy()
    {
        using nn.Module<Tensor, Tensor, Tensor> network = UNetPresets.Tiny(1).CreateNetwork();
        var act = () => new DdpmTrainer(Options(TrainingPrecision.BFloat16)).Fit(Data(), network);

        act.Should().Throw<ArgumentException>().WithMessage("Precision is BFloat16, which needs the network's configuration*DdpmTrainerOptions.Network*");
    }

    private static DdpmTrainerOptions Options(TrainingPrecision precision) => new()
    {
        Network = UNetPresets.Tiny(1),
        Precision = precision,
        MaxSteps = 80,
        BatchSize = 16,
        Timesteps = 50,
        Seed = 3,
    };

    private InMemoryImageDataset Data() => new(_images);

    private static double Distance(nn.Module a, nn.Module b)
    {
        using var scope = NewDisposeScope();
        return a.parameters().Zip(b.parameters()).Sum(p => (p.First - p.Second).abs().sum().item<float>());
    }
}
