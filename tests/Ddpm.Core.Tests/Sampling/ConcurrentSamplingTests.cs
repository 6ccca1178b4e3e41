using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Sampling;

/// <summary>
/// The thread-safety contract of <see cref="DdpmSampler.Sample"/>: one <see cref="DdpmModel"/> sampled from many
/// threads at once gives, per seed, exactly the images sequential calls give, for every network and
/// <see cref="BatchNormMode"/>, and the model is left exactly as it was (weights, BatchNorm statistics, training flags).
/// </summary>
[Collection(TensorLeakCollection.Name)]
public sealed class ConcurrentSamplingTests
{
    private const int Threads = 4;
    private const int Rounds = 3;

    public static TheoryData<string, BatchNormMode, bool> Cases() => new()
    {
        { "simple-unet", BatchNormMode.BatchStatistics, false },
        { "simple-unet", BatchNormMode.RunningStatistics, false },
        { "simple-unet", BatchNormMode.BatchStatistics, true },
        { "unet", BatchNormMode.RunningStatistics, false },
        { "unet", BatchNormMode.BatchStatistics, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Threads_sampling_one_model_get_the_sequential_images_and_leave_the_model_unchanged(string network, BatchNormMode mode, bool trainMode)
    {
        using DdpmModel model = network == "unet" ? TinyModels.UntrainedUNet(timesteps: 20, size: 8) : TinyModels.Untrained(timesteps: 20);
        RandomiseStatistics(model.Network);
        // A network left in training mode (as a preview during training finds it) must be sampled the same way.
        model.Network.train(trainMode);
        using var before = new ModelState(model.Network);

        Tensor[] sequential = [.. Enumerable.Range(0, Threads).Select(seed => Sampler(seed, mode).Sample(model, 3))];
        before.ShouldEqual(model.Network, "after sequential sampling");

        for (int round = 0; round < Rounds; round++)
        {
            var images = new Tensor[Threads];
            using var start = new Barrier(Threads);
            Thread[] threads = [.. Enumerable.Range(0, Threads).Select(seed => new Thread(() =>
            {
                DdpmSampler sampler = Sampler(seed, mode);
                start.SignalAndWait();
                images[seed] = sampler.Sample(model, 3);
            }))];
            Array.ForEach(threads, t => t.Start());
            Array.ForEach(threads, t => t.Join());

            for (int seed = 0; seed < Threads; seed++)
            {
                images[seed].IsIdenticalTo(sequential[seed]).Should().BeTrue($"round {round}: seed {seed} sampled beside {Threads - 1} other threads gives the images it gives alone ({network}, {mode}, train mode {trainMode})");
                images[seed].Dispose();
            }

            before.ShouldEqual(model.Network, $"after round {round}");
        }

        Array.ForEach(sequential, s => s.Dispose());
    }

    private static DdpmSampler Sampler(int seed, BatchNormMode mode) => new(new DdpmSamplerOptions
    {
        Seed = seed,
        Steps = 6,
        BatchNormMode = mode,
        Weights = ModelWeights.Trained,
    });

    /// <summary>Gives every BatchNorm layer running statistics other than its initial ones, so that using or changing them shows.</summary>
    private static void RandomiseStatistics(nn.Module network)
    {
        using var noGrad = no_grad();
        foreach (TorchSharp.Modules.BatchNorm norm in network.modules().OfType<TorchSharp.Modules.BatchNorm>())
        {
            norm.running_mean!.copy_(randn_like(norm.running_mean) * 0.1);
            norm.running_var!.copy_(rand_like(norm.running_var) + 0.5);
        }
    }

    /// <summary>Every state-dict tensor and every module's training flag of a network, copied.</summary>
    private sealed class ModelState : IDisposable
    {
        private readonly Dictionary<string, Tensor> _tensors;
        private readonly Dictionary<string, bool> _training;

        public ModelState(nn.Module network)
        {
            _tensors = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            _training = network.named_modules().ToDictionary(m => m.name, m => m.module.training);
            _training[string.Empty] = network.training;
        }

        public void ShouldEqual(nn.Module network, string when)
        {
            Dictionary<string, Tensor> now = network.state_dict();
            now.Keys.Should().BeEquivalentTo(_tensors.Keys);
            foreach ((string name, Tensor saved) in _tensors)
            {
                now[name].IsIdenticalTo(saved).Should().BeTrue($"{name} is unchanged {when}");
            }

            var training = network.named_modules().ToDictionary(m => m.name, m => m.module.training);
            training[string.Empty] = network.training;
            training.Should().Equal(_training, $"every module keeps its training flag {when}");
        }

        public void Dispose()
        {
            foreach (Tensor t in _tensors.Values)
            {
                t.Dispose();
            }
        }
    }
}
