using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Interop;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Schedules;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Interop;

/// <summary>
/// The notebook's sampling loop (T = 300, DDPM, clamped every step) run by PyTorch with recorded
/// noise (tests/reference/simple_unet_reference.py), against DdpmSampler fed the same noise, within
/// <see cref="ReferenceTolerance.NotebookTrajectory"/> at every kept step (clamping keeps 300 steps from amplifying
/// the rounding).
/// </summary>
[Collection(TensorLeakCollection.Name)]
public sealed class NotebookTrajectoryTests
{
    [Fact]
    public void The_sampler_driven_by_the_same_noise_reproduces_the_notebooks_trajectory()
    {
        using var scope = NewDisposeScope();
        using StateDict fixture = SafeTensors.Read(Fixtures.PathOf("sampling_trajectory_t300.safetensors"));
        using StateDict weights = PyTorchStateDict.Read(Fixtures.PathOf("simple_unet_small.pt"));
        SimpleUNetConfiguration configuration = SimpleUNetConfiguration.FromStateDict(weights);
        var network = configuration.CreateNetwork();
        StateDictLoader.Load(network, weights);
        using var model = new DdpmModel(network, new NoiseScheduler(KnownBetaSchedules.Linear, 300), new ImageShape(3, 16, 16), configuration);

        // x_T first, then z for t = 299, 298, ..., 1 (the step at t = 0 draws nothing).
        Tensor noise = fixture["noise"];
        var draws = new Queue<Tensor>([fixture["x_T"], .. Enumerable.Range(1, 299).Reverse().Select(t => noise[t])]);
        var sampler = new DdpmSampler(new DdpmSamplerOptions
        {
            Method = SamplingMethod.Ddpm,
            Steps = 300,
            BatchSize = 2,
            ClampEachStep = true,
            Weights = ModelWeights.Trained,
            BatchNormMode = BatchNormMode.RunningStatistics,
        })
        {
            NoiseSource = shape =>
            {
                Tensor next = draws.Dequeue();
                next.shape.Should().Equal(shape);
                return next;
            },
        };
        var kept = fixture.Keys.Where(k => k.StartsWith("x.", StringComparison.Ordinal)).ToDictionary(k => int.Parse(k[2..], System.Globalization.CultureInfo.InvariantCulture), k => fixture[k]);
        var compared = new List<int>();

        using Tensor images = sampler.Sample(model, 2, step =>
        {
            if (kept.TryGetValue(step.Timestep, out Tensor? expected))
            {
                step.Sample.ShouldMatchReference(expected, ReferenceTolerance.NotebookTrajectory, $"the notebook trajectory after the step at t = {step.Timestep}");
                compared.Add(step.Timestep);
            }
        });

        draws.Should().BeEmpty("every recorded draw is used once");
        compared.Should().BeEquivalentTo(kept.Keys, "the trajectory is compared at every kept step ({0})", string.Join(", ", kept.Keys.Order()));
        images.ShouldMatchReference(kept[0], ReferenceTolerance.NotebookTrajectory, "the notebook's final images");
        images.abs().max().item<float>().Should().BeGreaterThan(0.1f, "the comparison is of real images, not of zeros");
    }
}
