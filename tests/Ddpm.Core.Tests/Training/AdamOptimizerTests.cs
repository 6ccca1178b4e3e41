using Ddpm.Core.Tests.TestSupport;
using Ddpm.Core.Training;
using FluentAssertions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Training;

[Collection(TensorLeakCollection.Name)]
public sealed class AdamOptimizerTests
{
    [Theory]
    [InlineData(OptimizerType.Adam, 0.0)]
    [InlineData(OptimizerType.Adam, 0.01)]
    [InlineData(OptimizerType.AdamW, 0.01)]
    public void Takes_the_same_steps_as_TorchSharps_optimiser(OptimizerType type, double weightDecay)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var ours = new List<Parameter> { new(randn(4, 3)), new(randn(7)) };
        var theirs = ours.Select(p => new Parameter(p.detach().clone())).ToList();
        var initial = ours.Select(p => p.detach().clone()).ToList();
        using var adam = new AdamOptimizer(ours, type, 0.01, 0.9, 0.99, 1e-6, weightDecay);
        using var reference = type == OptimizerType.AdamW
            ? (OptimizerHelper)optim.AdamW(theirs, 0.01, 0.9, 0.99, 1e-6, weightDecay)
            : optim.Adam(theirs, 0.01, 0.9, 0.99, 1e-6, weightDecay);

        for (int step = 1; step <= 6; step++)
        {
            for (int i = 0; i < ours.Count; i++)
            {
                Tensor gradient = randn_like(ours[i]) * step;
                ours[i].grad = gradient;
                theirs[i].grad = gradient.clone();
            }

            adam.Step();
            reference.step();
        }

        for (int i = 0; i < ours.Count; i++)
        {
            float difference = (ours[i] - theirs[i]).abs().max().item<float>();
            difference.Should().BeLessThan(1e-6f, $"parameter {i} must follow {type}");
            (ours[i] - initial[i]).abs().max().item<float>().Should().BeGreaterThan(1e-3f, "the parameters moved, or the comparison proves nothing");
        }

        adam.Steps.Should().Equal(6, 6);
    }

    [Fact]
    public void A_parameter_without_a_gradient_is_left_alone_and_its_step_count_unchanged()
    {
        using var scope = NewDisposeScope();
        var parameters = new List<Parameter> { new(ones(3)), new(ones(3)) };
        using var adam = new AdamOptimizer(parameters, OptimizerType.Adam, 0.1, 0.9, 0.999, 1e-8, 0);
        parameters[0].grad = ones(3);

        adam.Step();

        parameters[0].allclose(full(3, 0.9f)).Should().BeTrue("the first Adam step moves each weight by the learning rate");
        parameters[1].allclose(ones(3)).Should().BeTrue();
        adam.Steps.Should().Equal(1, 0);
    }

    [Fact]
    public void A_step_leaves_no_tensors_behind()
    {
        using var scope = NewDisposeScope();
        var parameters = Enumerable.Range(0, 20).Select(_ => new Parameter(randn(64))).ToList();
        foreach (var p in parameters)
        {
            p.grad = randn(64);
        }

        using var adam = new AdamOptimizer(parameters, OptimizerType.Adam, 1e-3, 0.9, 0.999, 1e-8, 0.1);
        long before = Tensor.TotalCount;

        adam.Step();
        adam.Step();

        Tensor.TotalCount.Should().Be(before, "each parameter's temporaries, gradient wrapper included, are disposed with its own scope");
    }
}
