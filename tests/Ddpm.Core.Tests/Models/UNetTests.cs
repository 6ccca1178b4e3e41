using Ddpm.Core.Data;
using Ddpm.Core.Models;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Models;

public sealed class UNetTests
{
    [Theory]
    [InlineData(1, 8)]
    [InlineData(3, 16)]
    public void Output_shape_equals_input_shape_and_an_untrained_network_predicts_zero(int channels, int size)
    {
        using var network = new UNet(UNetPresets.Tiny(channels));
        using var scope = NewDisposeScope();

        Tensor output = network.call(randn(2, channels, size, size), tensor(new long[] { 0, 999 }));

        output.shape.Should().Equal(2, channels, size, size);
        output.abs().max().item<float>().Should().Be(0, "the output convolution starts at zero");
    }

    [Fact]
    public void Every_level_attention_and_skip_connection_is_wired()
    {
        var configuration = new UNetConfiguration
        {
            ImageChannels = 1, BaseChannels = 8, ChannelMultipliers = [1, 2, 4], BlocksPerLevel = 2,
            AttentionLevels = [0, 2], AttentionHeads = 2, NormGroups = 4, Dropout = 0,
        };
        using var network = new UNet(configuration);
        var keys = network.state_dict().Keys.ToList();

        keys.Count(k => k.StartsWith("down_blocks.", StringComparison.Ordinal) && k.EndsWith(".res.conv1.weight", StringComparison.Ordinal)).Should().Be(6);
        keys.Count(k => k.StartsWith("up_blocks.", StringComparison.Ordinal) && k.EndsWith(".res.conv1.weight", StringComparison.Ordinal)).Should().Be(9);
        keys.Count(k => k.EndsWith(".attn.qkv.weight", StringComparison.Ordinal)).Should().Be(4 + 6, "levels 0 and 2: 2 down + 3 up blocks each");
        keys.Should().Contain(["mid_attn.qkv.weight", "downsamples.1.weight", "upsamples.1.conv.weight", "time_embed.3.weight", "conv_out.weight"]);
        keys.Should().NotContain(k => k.Contains("running_mean", StringComparison.Ordinal), "no BatchNorm");

        // Perturb the output layer so the test sees the whole path.
        using (no_grad())
        {
            foreach (var p in network.parameters())
            {
                p.add_(randn_like(p) * 0.01);
            }
        }

        using var scope = NewDisposeScope();
        Tensor output = network.call(randn(2, 1, 16, 16), tensor(new long[] { 3, 7 }));
        output.shape.Should().Equal(2, 1, 16, 16);
        output.abs().max().item<float>().Should().BeGreaterThan(0);
    }

    [Fact]
    public void Without_dropout_train_and_eval_mode_give_the_same_output()
    {
        using var network = new UNet(UNetPresets.Tiny(1));
        using (no_grad())
        {
            foreach (var p in network.parameters())
            {
                p.add_(randn_like(p) * 0.05);
            }
        }

        using var scope = NewDisposeScope();
        Tensor x = randn(3, 1, 8, 8);
        Tensor t = tensor(new long[] { 1, 2, 3 });
        network.train();
        Tensor trained = network.call(x, t);
        network.eval();
        Tensor evaluated = network.call(x, t);

        evaluated.allclose(trained, rtol: 0, atol: 1e-6).Should().BeTrue("GroupNorm, unlike BatchNorm, does not depend on the mode");
    }

    [Theory]
    [InlineData("Tiny", 1)]
    [InlineData("Small", 1)]
    [InlineData("Medium", 1)]
    [InlineData("Base", 3)]
    [InlineData("Large", 3)]
    public void Presets_build_and_are_documented_with_their_parameter_counts(string preset, int channels)
    {
        UNetConfiguration configuration = Presets.ByName(preset, channels);
        using var network = new UNet(configuration);

        long parameters = network.parameters().Sum(p => p.numel());

        parameters.Should().Be(ExpectedParameters[preset]);
    }

    [Fact]
    public void GroupNorm_layers_start_as_the_identity_transform()
    {
        // TorchSharp 0.107 leaves GroupNorm's affine parameters uninitialised; the library sets them.
        using var network = new UNet(UNetPresets.Tiny(1));

        var norms = network.named_parameters().Where(p => p.name.Contains("norm", StringComparison.Ordinal)).ToList();

        norms.Should().NotBeEmpty();
        foreach ((string name, var parameter) in norms)
        {
            float expected = name.EndsWith("weight", StringComparison.Ordinal) ? 1f : 0f;
            parameter.data<float>().ToArray().Should().OnlyContain(v => v == expected, name);
        }
    }

    [Fact]
    public void Sizes_not_divisible_by_the_downsampling_factor_are_rejected_with_advice()
    {
        var act = () => UNetPresets.Base(1).Validate(new ImageShape(1, 28, 28));

        act.Should().Throw<ArgumentException>().WithMessage("*divisible by 8*28x28*32x32*");
    }

    [Theory]
    [InlineData(30, "NormGroups is 32 but a level is 30 channels wide*")]
    public void Widths_that_groups_do_not_divide_are_rejected(int baseChannels, string message)
    {
        var act = () => new UNet(new UNetConfiguration { BaseChannels = baseChannels });

        act.Should().Throw<ArgumentException>().WithMessage($"*{message}");
    }

    [Fact]
    public void Attention_levels_out_of_range_are_rejected()
    {
        var act = () => new UNet(new UNetConfiguration { AttentionLevels = [4] });

        act.Should().Throw<ArgumentException>().WithMessage("*AttentionLevels must hold level indices in [0, 3]*");
    }

    private static readonly Dictionary<string, long> ExpectedParameters = new()
    {
        ["Tiny"] = 177_505,
        ["Small"] = 671_665,
        ["Medium"] = 1_742_881,
        ["Base"] = 9_593_539,
        ["Large"] = 38_307_203,
    };
}
