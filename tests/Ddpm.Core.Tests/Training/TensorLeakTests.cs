using Ddpm.Core.Data;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Tests.TestSupport;
using Ddpm.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Training;

/// <summary>
/// Every training and sampling step runs in a dispose scope: the process-wide live-tensor count
/// after N steps equals the count after the first. Runs in the serial collection so no other
/// test's tensors move the count.
/// </summary>
[Collection(TensorLeakCollection.Name)]
public sealed class TensorLeakTests
{
    [Theory]
    [InlineData(TrainingPrecision.Float32)]
    [InlineData(TrainingPrecision.BFloat16)]
    public void Training_steps_leave_the_live_tensor_count_flat(TrainingPrecision precision)
    {
        using Tensor images = SyntheticImages.Squares(64, 1, 8);
        var dataset = new InMemoryImageDataset(images);
        var trainer = new DdpmTrainer(new DdpmTrainerOptions
        {
            Network = new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 8], TimeEmbeddingDim = 8 },
            MaxSteps = 40,
            BatchSize = 8,
            Timesteps = 50,
            Precision = precision,
            Seed = 9,
        });
        LiveTensors.Settle();
        var counts = new List<long>();

        using (DdpmModel model = trainer.Fit(dataset, new RecordingProgress<TrainingProgress>(_ => counts.Add(Tensor.TotalCount))))
        {
            // After the first step (which creates Adam's state) the count may never rise. It may fall:
            // TorchSharp's layer constructors leave a few initialisation tensors to the finaliser (8 per
            // network of this size; Fit builds two, three in bfloat16), and a GC during the run collects them.
            counts.Should().HaveCount(40);
            counts.Zip(counts.Skip(1)).Should().OnlyContain(pair => pair.Second <= pair.First, "nothing may accumulate from step to step; counts: {0}", string.Join(", ", counts));
        }
    }

    [Fact]
    public void Sampling_steps_leave_the_live_tensor_count_flat_and_nothing_survives_the_call()
    {
        using DdpmModel model = TinyModels.Untrained(timesteps: 30);
        var sampler = new DdpmSampler(new DdpmSamplerOptions { Seed = 1, BatchSize = 4, BatchNormMode = BatchNormMode.BatchStatistics });
        LiveTensors.Settle();
        long before = Tensor.TotalCount;
        var counts = new List<(int Batch, long Count)>();

        using (Tensor images = sampler.Sample(model, 12, step => counts.Add((step.BatchIndex, Tensor.TotalCount))))
        {
            // Within a batch the count never moves; each finished batch (kept for the result) adds exactly one tensor.
            counts.Should().HaveCount(90);
            long first = counts[0].Count;
            counts.Should().OnlyContain(c => c.Count == first + c.Batch, "counts: {0}", string.Join(", ", counts.Select(c => c.Count)));
        }

        Tensor.TotalCount.Should().Be(before, "the returned tensor was disposed and nothing else may survive");
    }

    [Fact]
    public void Sampling_cancelled_from_another_thread_stops_within_one_step_and_leaks_nothing()
    {
        using DdpmModel model = TinyModels.Untrained(timesteps: 200);
        var sampler = new DdpmSampler(new DdpmSamplerOptions { Seed = 1, BatchSize = 4 });
        LiveTensors.Settle();
        long before = Tensor.TotalCount;
        using var cancellation = new CancellationTokenSource();
        using var thirdStep = new ManualResetEventSlim();
        int steps = 0;
        var canceller = new Thread(() =>
        {
            thirdStep.Wait();
            cancellation.Cancel();
        });
        canceller.Start();

        var act = () => sampler.Sample(
            model,
            8,
            onStep: _ =>
            {
                steps++;
                if (steps == 3)
                {
                    thirdStep.Set();

                    // Give the other thread time to cancel while this step is still "running".
                    SpinWait.SpinUntil(() => cancellation.IsCancellationRequested, TimeSpan.FromSeconds(10));
                }
            },
            cancellationToken: cancellation.Token);

        act.Should().Throw<OperationCanceledException>().Which.CancellationToken.Should().Be(cancellation.Token);
        canceller.Join();
        steps.Should().Be(3, "the sampler stops before the step after the one during which the token was cancelled");
        LiveTensors.Settle();
        Tensor.TotalCount.Should().Be(before, "the batch in progress is disposed when sampling stops");
    }
}
