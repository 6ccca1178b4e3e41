using Ddpm.Core.Models;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;

namespace Ddpm.Core.Tests;

/// <summary>
/// No TorchSharp Scalar that libtorch reads can be freed by the garbage collector while libtorch reads it (issue 30:
/// <c>Fit</c> died with "Expected false to be true ... toFloat at Scalar.h:140" under load). The IL of Ddpm.Core and of
/// the TorchSharp modules its networks run is read with <see cref="ScalarAudit"/>; <c>ddpm-benchmarks gc-stress</c> is
/// the soak that crashed before (docs/reliability.md).
/// </summary>
public sealed class ScalarLifetimeTests
{
    private static readonly ScalarAudit Audit = new();

    [Fact]
    public void The_library_makes_every_Scalar_through_TensorScalars_which_keeps_it_alive()
    {
        IReadOnlyList<string> unkept = Audit.UnkeptScalarsInLibrary(typeof(TensorScalars).FullName!);

        unkept.Should().BeEmpty("each of these lets TorchSharp make a Scalar that nothing keeps alive during the native call; use TensorScalars instead");
    }

    [Fact]
    public void The_audit_finds_TorchSharps_own_unkept_Scalars()
    {
        // What it must find, or it proves nothing: a + b passes an alpha of 1, x * 0.5 converts 0.5, and BatchNorm's
        // training-mode forward counts batches with add_(1).
        Mono.Cecil.TypeDefinition tensor = Audit.TorchSharp.GetType("TorchSharp.torch/Tensor");
        Audit.IsHazardous(tensor.Methods.Single(m => m.Name == "op_Addition" && m.Parameters.All(p => p.ParameterType.Name == "Tensor"))).Should().BeTrue();
        Audit.IsHazardous(tensor.Methods.Single(m => m.Name == "op_Multiply" && m.Parameters[1].ParameterType.Name == "Double")).Should().BeTrue();
        Audit.IsHazardous(Audit.Forward(typeof(TorchSharp.Modules.BatchNorm2d))!).Should().BeTrue();
        Audit.IsHazardous(tensor.Methods.Single(m => m.Name == "op_Multiply" && m.Parameters.All(p => p.ParameterType.Name == "Tensor"))).Should().BeFalse("a * b takes no Scalar");
    }

    [Fact]
    public void Every_TorchSharp_module_the_networks_call_keeps_its_Scalars_alive()
    {
        using var unet = new UNet(new UNetConfiguration { ImageChannels = 3, BaseChannels = 16, ChannelMultipliers = [1, 2], AttentionLevels = [1], Dropout = 0.1, ClassCount = 3, NormGroups = 4 });
        using var simple = new SimpleUNet(TinyNetworks.SimpleUNet(1));
        var modules = unet.modules().Concat(simple.modules())
            .Select(m => m.GetType())
            .Where(t => t.Assembly == typeof(TorchSharp.torch).Assembly)
            .Distinct()
            .ToList();

        var hazardous = modules.Where(t => Audit.Forward(t) is { } forward && Audit.IsHazardous(forward)).ToList();

        modules.Should().Contain([typeof(TorchSharp.Modules.Conv2d), typeof(TorchSharp.Modules.GroupNorm), typeof(TorchSharp.Modules.Linear)], "the audit sees the networks' layers");
        hazardous.Should().Equal([typeof(TorchSharp.Modules.BatchNorm2d)], "BatchNorm is the only layer whose forward makes an unkept Scalar, and InferenceForward.BatchNorm applies it without calling that forward");
    }
}
