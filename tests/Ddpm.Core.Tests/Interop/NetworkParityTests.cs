using System.Text.Json.Nodes;
using Ddpm.Core.Checkpoints;
using Ddpm.Core.Interop;
using Ddpm.Core.Models;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Interop;

/// <summary>
/// Ddpm.Core's UNet against its PyTorch twin (python/ddpm_core_torch): the fixtures of
/// tests/reference/network_parity_reference.py hold the twin's weights under their state_dict names, its
/// configuration as Ddpm.Core writes it, inputs and outputs. The weights load into Ddpm.Core's network with
/// strict matching, and the outputs agree within <see cref="ReferenceTolerance.UNetOutputs"/>
/// in eval mode and, where dropout is 0, in train mode.
/// </summary>
[Collection(TensorLeakCollection.Name)]
public sealed class NetworkParityTests
{
    private static readonly string[] Names = ["tiny", "small", "small-classes", "wide"];

    public static TheoryData<string> Cases => new(Names);

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_twins_weights_load_strictly_and_give_the_same_outputs(string name)
    {
        using StateDict fixture = SafeTensors.Read(Fixtures.PathOf($"unet_parity_{name}.safetensors"), out IReadOnlyDictionary<string, string> metadata);
        var configuration = (UNetConfiguration)NetworkConfigurations.FromJson(metadata["architecture"], JsonNode.Parse(metadata["configuration"]), name)!;
        using var network = new UNet(configuration);
        StateDictLoader.Load(network, fixture.Where(kv => kv.Key.StartsWith("model.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["model.".Length..], kv => kv.Value));
        Tensor x = fixture["input.x"];
        Tensor t = fixture["input.t"];
        Tensor? labels = fixture.TryGetValue("input.labels", out Tensor? l) ? l : null;

        using var noGrad = no_grad();
        network.eval();
        using (Tensor eval = network.Forward(x, t, labels))
        {
            eval.ShouldMatchReference(fixture["output.eval"], ReferenceTolerance.UNetOutputs, $"{name}: eval mode against the twin");
        }

        if (fixture.TryGetValue("output.train", out Tensor? trainOutput))
        {
            network.train();
            using Tensor train = network.Forward(x, t, labels);
            train.ShouldMatchReference(trainOutput, ReferenceTolerance.UNetOutputs, $"{name}: train mode (dropout 0) against the twin");
        }
        else
        {
            configuration.Dropout.Should().BeGreaterThan(0, "only dropout, whose random masks no two frameworks share, leaves train mode unchecked");
        }

        if (fixture.TryGetValue("output.eval.unlabelled", out Tensor? unlabelled))
        {
            network.eval();
            using Tensor none = network.Forward(x, t, null);
            none.ShouldMatchReference(unlabelled, ReferenceTolerance.UNetOutputs, $"{name}: no labels (the no-class token on both sides) against the twin");
        }
    }

    [Fact]
    public void A_Ddpm_Core_export_goes_through_the_twin_and_back_with_every_name_and_shape_matched()
    {
        // tests/reference/network_parity_reference.py loaded dotnet_export_tiny.* (ddpm export) into the twin strictly,
        // checked its output, and wrote the twin's own state_dict and description as twin_roundtrip_tiny.*.
        ModelDescription description = ModelDescription.Read(Fixtures.PathOf("twin_roundtrip_tiny.config.json"));
        using StateDict weights = SafeTensors.Read(Fixtures.PathOf("twin_roundtrip_tiny.safetensors"));
        using StateDict check = SafeTensors.Read(Fixtures.PathOf("twin_roundtrip_tiny.check.safetensors"));
        using StateDict original = SafeTensors.Read(Fixtures.PathOf("dotnet_export_tiny.safetensors"));

        using DdpmModel model = DdpmModel.FromWeights(description, weights);
        using DdpmModel exported = DdpmModel.FromWeights(ModelDescription.Read(Fixtures.PathOf("dotnet_export_tiny.config.json")), original);

        description.Should().BeEquivalentTo(ModelDescription.Read(Fixtures.PathOf("dotnet_export_tiny.config.json")), "the twin wrote back the description it read");
        model.Scheduler.Timesteps.Should().Be(50);
        using var noGrad = no_grad();
        model.Network.eval();
        exported.Network.eval();
        using Tensor output = model.Network.call(check["input.x"], check["input.t"]);
        output.ShouldMatchReference(check["output.eval"], ReferenceTolerance.UNetOutputs, "the twin's weights in Ddpm.Core against the twin's output");

        original.Keys.Should().BeEquivalentTo(weights.Keys, "the twin wrote back every tensor it read");
        original.Should().AllSatisfy(kv => weights[kv.Key].IsIdenticalTo(kv.Value).Should().BeTrue($"{kv.Key} went through the twin unchanged"));

        // The round trip changes no weight, so on this machine it changes no output bit (the export's own stored output
        // was computed on another CPU, and is not compared).
        using Tensor before = exported.Network.call(check["input.x"], check["input.t"]);
        output.IsIdenticalTo(before).Should().BeTrue("the weights that went through the twin give exactly the exported model's output");
    }

    [Fact]
    public void The_cases_cover_every_configuration_field_off_its_default()
    {
        var configurations = Names.Select(name => (name, Read(name))).ToList();

        configurations.Select(c => c.Item2.ImageChannels).Distinct().Should().HaveCountGreaterThan(1);
        configurations.Select(c => c.Item2.BlocksPerLevel).Distinct().Should().HaveCountGreaterThan(1);
        configurations.Select(c => c.Item2.ChannelMultipliers.Count).Distinct().Should().HaveCountGreaterThan(1);
        configurations.Select(c => c.Item2.AttentionLevels.Count).Distinct().Should().HaveCountGreaterThan(2, "none, one and two attended levels");
        configurations.Select(c => c.Item2.AttentionHeads).Distinct().Should().HaveCountGreaterThan(2);
        configurations.Select(c => c.Item2.NormGroups).Distinct().Should().HaveCountGreaterThan(1);
        configurations.Should().Contain(c => c.Item2.ClassCount > 0).And.Contain(c => c.Item2.Dropout > 0);
        configurations.Single(c => c.Item1 == "small").Item2.Should().BeEquivalentTo(UNetPresets.Small(1), "the default network is one of them");
        configurations.Single(c => c.Item1 == "tiny").Item2.Should().BeEquivalentTo(UNetPresets.Tiny(3));
    }

    private static UNetConfiguration Read(string name)
    {
        using StateDict fixture = SafeTensors.Read(Fixtures.PathOf($"unet_parity_{name}.safetensors"), out IReadOnlyDictionary<string, string> metadata);
        return (UNetConfiguration)NetworkConfigurations.FromJson(metadata["architecture"], JsonNode.Parse(metadata["configuration"]), name)!;
    }
}
