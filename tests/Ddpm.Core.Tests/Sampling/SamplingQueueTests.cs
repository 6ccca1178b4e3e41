using Ddpm.Core.Sampling;
using Ddpm.Core.Sampling.Methods;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Sampling;

[Collection(TensorLeakCollection.Name)]
public sealed class SamplingQueueTests
{
    private static readonly DdpmSampler Sampler = new(new DdpmSamplerOptions { Steps = 5 });

    [Fact]
    public async Task A_per_request_seed_or_setting_gives_a_validated_copy_and_leaves_the_shared_sampler_alone()
    {
        using DdpmModel model = TinyModels.Untrained(timesteps: 20);
        using var queue = new SamplingQueue();

        using Tensor queued = await queue.SampleAsync(Sampler.WithSeed(7), model, 2);
        using Tensor direct = new DdpmSampler(new DdpmSamplerOptions { Steps = 5, Seed = 7 }).Sample(model, 2);
        using Tensor other = await queue.SampleAsync(Sampler.WithSeed(8), model, 2);

        queued.IsIdenticalTo(direct).Should().BeTrue();
        other.IsIdenticalTo(direct).Should().BeFalse("another seed draws other images");
        Sampler.Options.Seed.Should().BeNull("WithSeed copies");
        var negative = () => Sampler.WithSeed(-1);
        negative.Should().Throw<ArgumentOutOfRangeException>();
        Sampler.With(o => o.Method = SamplingMethod.Ddim).Options.Method.Should().Be(SamplingMethod.Ddim);
        Sampler.Options.Method.Should().BeNull("With changes a copy");
        var invalid = () => Sampler.With(o => o.Steps = 0);
        invalid.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*Steps*");
    }

    [Fact]
    public async Task Calls_run_one_at_a_time_and_a_full_queue_is_refused()
    {
        using DdpmModel model = TinyModels.Untrained(timesteps: 20);
        using var queue = new SamplingQueue(maxConcurrency: 1, maxQueued: 1);
        using var release = new ManualResetEventSlim();
        int running = 0, most = 0;
        DdpmSampler gated = Gated(release, () => most = Math.Max(most, Interlocked.Increment(ref running)), () => Interlocked.Decrement(ref running));

        // The first call holds the only slot until released, the second waits for it, a third is one too many.
        Task<Tensor> first = queue.SampleAsync(gated, model, 1);
        SpinWait.SpinUntil(() => Volatile.Read(ref running) == 1, TimeSpan.FromSeconds(30)).Should().BeTrue();
        Task<Tensor> second = queue.SampleAsync(gated, model, 1);
        var third = () => queue.SampleAsync(gated, model, 1);
        (await third.Should().ThrowAsync<SamplingQueueFullException>()).Which.Message.Should().Contain("1 call(s) running and 1 waiting");
        queue.Pending.Should().Be(2);
        await Task.Delay(200);
        second.IsCompleted.Should().BeFalse("it waits for the slot");

        release.Set();
        (await first).Dispose();
        (await second).Dispose();

        most.Should().Be(1, "the second call started only after the first had finished");
        queue.Pending.Should().Be(0);
    }

    [Fact]
    public async Task A_cancelled_request_stops_waiting_and_a_running_one_stops_its_work()
    {
        using DdpmModel model = TinyModels.Untrained(timesteps: 20);
        using var queue = new SamplingQueue();
        using var release = new ManualResetEventSlim();
        int running = 0;
        DdpmSampler gated = Gated(release, () => Interlocked.Increment(ref running), () => Interlocked.Decrement(ref running));
        using var stopWork = new CancellationTokenSource();
        using var stopWait = new CancellationTokenSource();

        Task<Tensor> working = queue.SampleAsync(gated, model, 1, stopWork.Token);
        SpinWait.SpinUntil(() => Volatile.Read(ref running) == 1, TimeSpan.FromSeconds(30)).Should().BeTrue();
        Task<Tensor> waiting = queue.SampleAsync(Sampler, model, 1, stopWait.Token);
        stopWait.Cancel();
        await waiting.Invoking(async t => await t).Should().ThrowAsync<OperationCanceledException>("its wait was cancelled");
        stopWork.Cancel();
        release.Set();
        await working.Invoking(async t => await t).Should().ThrowAsync<OperationCanceledException>("the work stops before its next step");

        queue.Pending.Should().Be(0);
        using Tensor after = await queue.SampleAsync(Sampler, model, 1);
        after.shape.Should().Equal([1, 1, 8, 8], "the slot was given back");
    }

    private static DdpmSampler Gated(ManualResetEventSlim release, Action enter, Action leave) =>
        new(new DdpmSamplerOptions { Steps = 5, Seed = 1, CustomMethod = new GatedMethod(release, enter, leave) });

    /// <summary>DDIM whose first step waits for <paramref name="release"/>, counting the calls inside a step.</summary>
    private sealed class GatedMethod(ManualResetEventSlim release, Action enter, Action leave) : ISamplingMethod
    {
        private readonly DdimMethod _inner = new();

        public string Name => "gated-ddim";

        public int DefaultSteps(int timesteps) => _inner.DefaultSteps(timesteps);

        public ISamplingSolver CreateSolver(SolverContext context)
        {
            ISamplingSolver solver = _inner.CreateSolver(context);
            return new Solver(solver, release, enter, leave);
        }

        private sealed class Solver(ISamplingSolver inner, ManualResetEventSlim release, Action enter, Action leave) : ISamplingSolver
        {
            public Tensor Step(SolverStep step)
            {
                enter();
                try
                {
                    release.Wait(TimeSpan.FromSeconds(60));
                    return inner.Step(step);
                }
                finally
                {
                    leave();
                }
            }
        }
    }
}
