using System.Text.Json;
using Ddpm.Core.Data;
using Ddpm.Core.Interop;
using Ddpm.Core.Models;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Models;

public sealed class SimpleUNetTests
{
    [Fact]
    public void The_notebooks_network_has_62438883_parameters()
    {
        using var network = new SimpleUNet();

        network.parameters().Sum(p => p.numel()).Should().Be(62_438_883);
    }

    [Theory]
    [InlineData("simple_unet_state_dict.json", 3)]
    [InlineData("simple_unet_state_dict_1ch.json", 1)]
    public void State_dict_keys_shapes_and_dtypes_equal_the_PyTorch_modules(string fixture, int channels)
    {
        using JsonDocument reference = JsonDocument.Parse(File.ReadAllText(Fixtures.PathOf(fixture)));
        var expected = reference.RootElement.GetProperty("entries").EnumerateArray()
            .Select(e => $"{e.GetProperty("name").GetString()} [{string.Join(",", e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()))}] {e.GetProperty("dtype").GetString()}")
            .ToList();
        using var network = new SimpleUNet(new SimpleUNetConfiguration { ImageChannels = channels });

        var actual = network.state_dict()
            .Select(kv => $"{kv.Key} [{string.Join(",", kv.Value.shape)}] {DtypeName(kv.Value.dtype)}")
            .ToList();

        // TorchSharp orders parameters before buffers, so compare as sets.
        actual.Should().BeEquivalentTo(expected);
        actual.Should().Contain("downs.0.bnorm1.num_batches_tracked [] int64");
        network.parameters().Sum(p => p.numel()).Should().Be(reference.RootElement.GetProperty("parameter_count").GetInt64());
    }

    [Theory]
    [InlineData(false, "output.eval")]
    [InlineData(true, "output.train")]
    public void With_the_reference_weights_it_reproduces_the_PyTorch_output(bool trainMode, string outputName)
    {
        using StateDict fixture = SafeTensors.Read(Fixtures.PathOf("simple_unet_small.safetensors"));
        var weights = fixture.Where(kv => kv.Key.StartsWith("model.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["model.".Length..], kv => kv.Value);
        using var network = new SimpleUNet(new SimpleUNetConfiguration { ImageChannels = 3, DownChannels = [8, 16, 32, 64, 128], TimeEmbeddingDim = 32 });
        var (missing, unexpected) = network.load_state_dict(weights, strict: true);
        missing.Should().BeEmpty();
        unexpected.Should().BeEmpty();
        network.train(trainMode);

        using var noGrad = no_grad();
        using Tensor output = network.call(fixture["input.x"], fixture["input.t"]);

        output.ShouldMatchReference(fixture[outputName], ReferenceTolerance.SimpleUNetOutputs, $"our network with the notebook's weights against PyTorch's {outputName}");
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(3, 32)]
    public void Output_shape_equals_input_shape(int channels, int size)
    {
        using var network = new SimpleUNet(TinyNetworks.SimpleUNet(channels));
        using var scope = NewDisposeScope();

        Tensor output = network.call(randn(2, channels, size, size), tensor(new long[] { 0, 299 }));

        output.shape.Should().Equal(2, channels, size, size);
    }

    [Fact]
    public void Sizes_not_divisible_by_the_downsampling_factor_are_rejected_with_advice()
    {
        var configuration = new SimpleUNetConfiguration { ImageChannels = 1 };

        var act = () => configuration.Validate(new ImageShape(1, 28, 28));

        act.Should().Throw<ArgumentException>().WithMessage("*divisible by 16*28x28*32x32*");
    }

    [Fact]
    public void Channel_mismatch_between_data_and_network_is_rejected()
    {
        var act = () => new SimpleUNetConfiguration().Validate(new ImageShape(1, 64, 64));

        act.Should().Throw<ArgumentException>().WithMessage("*1 channel(s)*ImageChannels is 3*");
    }

    [Fact]
    public void Wrong_input_to_forward_is_rejected_before_reaching_native_code()
    {
        using var network = new SimpleUNet(TinyNetworks.SimpleUNet(1));
        using var scope = NewDisposeScope();

        var wrongChannels = () => network.call(randn(1, 3, 16, 16), tensor(new long[] { 1 }));
        var wrongSize = () => network.call(randn(1, 1, 18, 18), tensor(new long[] { 1 }));
        var wrongTimesteps = () => network.call(randn(2, 1, 16, 16), tensor(new long[] { 1 }));

        wrongChannels.Should().Throw<ArgumentException>().WithMessage("*1 channel(s)*has 3*");
        wrongSize.Should().Throw<ArgumentException>().WithMessage("*divisible by 4*18x18*");
        wrongTimesteps.Should().Throw<ArgumentException>().WithMessage("*one timestep per image*");
    }

    [Theory]
    [InlineData(0, null, 32, "ImageChannels")]
    [InlineData(3, new[] { 64 }, 32, "DownChannels")]
    [InlineData(3, new[] { 64, 0 }, 32, "DownChannels")]
    [InlineData(3, null, 31, "TimeEmbeddingDim")]
    public void Invalid_configurations_are_rejected_by_name(int channels, int[]? widths, int timeDim, string name)
    {
        var configuration = new SimpleUNetConfiguration { ImageChannels = channels, TimeEmbeddingDim = timeDim };
        if (widths is not null)
        {
            configuration.DownChannels = widths;
        }

        var act = () => new SimpleUNet(configuration);

        act.Should().Throw<ArgumentException>().WithMessage($"*{name}*");
    }

    private static string DtypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Int64 => "int64",
        _ => type.ToString(),
    };
}
