using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Interop;
using Ddpm.Core.Models;
using Ddpm.Core.Schedules;
using Ddpm.Core.Tests.TestSupport;
using Ddpm.Core.Training;
using FluentAssertions;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Training;

/// <summary>
/// One training step against a PyTorch reference written from the papers' equations
/// (tests/reference/training_step_reference.py): the notebook's SimpleUNet with fixed weights, x_0, noise and
/// t, for every target and loss, and min-SNR; the loss and the gradients must match within the
/// tolerances of <see cref="ReferenceTolerance"/>.
/// </summary>
[Collection(TensorLeakCollection.Name)]
public sealed class TrainingStepGoldenTests
{
    public static TheoryData<PredictionType, LossType, bool> Cases()
    {
        var data = new TheoryData<PredictionType, LossType, bool>();
        foreach (PredictionType prediction in Enum.GetValues<PredictionType>())
        {
            foreach (LossType loss in Enum.GetValues<LossType>())
            {
                data.Add(prediction, loss, false);
            }

            data.Add(prediction, LossType.L2, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_loss_and_its_gradients_match_the_PyTorch_reference(PredictionType prediction, LossType loss, bool minSnr)
    {
        using StateDict golden = SafeTensors.Read(Fixtures.PathOf("training_step_t300.safetensors"));
        SimpleUNetConfiguration configuration = Fixtures.SmallNotebookConfiguration;
        SimpleUNet network = Fixtures.SmallNotebookNetwork();
        var options = new DdpmTrainerOptions
        {
            Network = configuration, Prediction = prediction, Loss = loss, MinSnrGamma = minSnr ? 5 : null,
            Schedule = KnownBetaSchedules.Linear, Timesteps = 300, BatchSize = 4, Ema = new EmaOptions { Enabled = false },
        };
        using var run = new TrainingRun(options, new ImageShape(3, 32, 32), network, emaNetwork: null, configuration, new BatchPlan(4, 4, 0, false, false), 0, CPU);
        string name = $"{Name(prediction)}.{loss.ToString().ToLowerInvariant()}{(minSnr ? ".minsnr" : "")}";

        using (NewDisposeScope())
        {
            Tensor value = run.Loss(network, golden["input.x0"], golden["input.noise"], golden["input.t"], labels: null);
            value.backward();
            ((double)value.item<float>()).ShouldMatchReference(golden[$"loss.{name}"].item<float>(), ReferenceTolerance.TrainingLoss, $"the loss ({name})");
        }

        var gradients = network.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        double norm = Math.Sqrt(gradients.Values.Sum(g => g.to(ScalarType.Float64).square().sum().item<double>()));
        norm.ShouldMatchReference(golden[$"gradnorm.{name}"].item<float>(), ReferenceTolerance.TrainingLoss, $"the norm of every gradient ({name})");
        foreach (string parameter in GradientParameters)
        {
            gradients[parameter].ShouldMatchReference(golden[$"grad.{name}.{parameter}"], ReferenceTolerance.Gradients, $"the gradient of {parameter} ({name})");
        }
    }

    /// <summary>The parameters whose whole gradients the reference stores (the first, one in the middle, the last two).</summary>
    private static readonly string[] GradientParameters = ["time_mlp.1.weight", "downs.2.conv1.weight", "ups.3.transform.weight", "output.weight", "output.bias"];

    private static string Name(PredictionType prediction) => prediction switch
    {
        PredictionType.Epsilon => "epsilon",
        PredictionType.Sample => "sample",
        _ => "velocity",
    };
}
