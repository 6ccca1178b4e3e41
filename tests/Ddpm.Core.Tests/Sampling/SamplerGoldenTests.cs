using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Interop;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Sampling.Methods;
using Ddpm.Core.Schedules;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Sampling;

/// <summary>
/// Each sampling method against a PyTorch trajectory written from the papers' equations
/// (tests/reference/samplers_reference.py): the notebook's small SimpleUNet, 10 trailing steps of T = 300, the same
/// x_T and recorded noise; every state after every step must match within
/// <see cref="ReferenceTolerance.SamplerStates"/>. <c>euler-a-karras</c> is Euler ancestral
/// on Karras spacing, whose timesteps the reference computes on its own.
/// </summary>
[Collection(TensorLeakCollection.Name)]
public sealed class SamplerGoldenTests
{
    public static TheoryData<string> Methods() => ["ddpm", "ddim", "dpm++2m", "euler", "euler-a", "heun", "euler-a-karras"];

    [Theory]
    [MemberData(nameof(Methods))]
    public void Every_state_of_the_trajectory_matches_the_reference(string name)
    {
        using StateDict golden = SafeTensors.Read(Fixtures.PathOf("samplers_t300.safetensors"));
        SimpleUNet network = Fixtures.SmallNotebookNetwork();
        network.eval();
        using DdpmModel model = new(network, new NoiseScheduler(KnownBetaSchedules.Linear, 300), new ImageShape(3, 16, 16), Fixtures.SmallNotebookConfiguration);
        bool karras = name.EndsWith("-karras", StringComparison.Ordinal);
        ISamplingMethod method = name switch
        {
            "ddpm" => new DdpmMethod(),
            "ddim" => new DdimMethod(eta: 0.5),
            "dpm++2m" => new DpmSolverPlusPlus2MMethod(),
            "euler" => new EulerMethod(),
            "euler-a" or "euler-a-karras" => new EulerAncestralMethod(),
            _ => new HeunMethod(),
        };
        var draws = new Queue<Tensor>([golden["input.x_T"], .. golden["input.noise"].unbind(0)]);
        var sampler = new DdpmSampler(new DdpmSamplerOptions
        {
            CustomMethod = method, Steps = 10, Spacing = karras ? TimestepSpacing.Karras : TimestepSpacing.Trailing, ClampEachStep = false, ClipPredictedSample = false,
            BatchNormMode = BatchNormMode.RunningStatistics, BatchSize = 2,
        })
        {
            NoiseSource = shape => draws.Dequeue().clone(),
        };
        var states = new List<Tensor>();

        sampler.GetTimesteps(model).Should().Equal(golden[karras ? "input.timesteps.karras" : "input.timesteps"].data<long>().Select(t => (int)t));
        using Tensor images = sampler.Sample(model, 2, s => states.Add(s.Sample.clone()));

        Tensor expected = golden[$"states.{name}"];
        states.Should().HaveCount(10);
        for (int i = 0; i < 10; i++)
        {
            states[i].ShouldMatchReference(expected[i], ReferenceTolerance.SamplerStates, $"{name}, state after step {i}");
        }

        states.ForEach(s => s.Dispose());
    }
}
