using Ddpm.Core.Data;
using Ddpm.Benchmarks;
using Ddpm.Core.Models;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using Xunit.Abstractions;

namespace Ddpm.Core.Tests.Models;

public sealed class FlopCounterTests(ITestOutputHelper output)
{
    [Fact]
    public void The_notebooks_SimpleUNet_costs_11_46_GFLOP_per_64x64_image()
    {
        // DESIGN.md: measured for the notebook's model, 11.46 GFLOP per image forward.
        using var network = new SimpleUNet();

        long flops = FlopCounter.ForwardFlopsPerImage(network, new ImageShape(3, 64, 64));

        (flops / 1e9).Should().BeApproximately(11.46, 0.01);
        network.training.Should().BeTrue("the counter restores the mode");
    }

    [Theory]
    [InlineData("Tiny", 1, 32, 0.126, 0.134)]
    [InlineData("Small", 1, 32, 0.27, 0.29)]
    [InlineData("Medium", 1, 32, 0.71, 0.75)]
    [InlineData("Base", 3, 32, 3.1, 3.3)]
    [InlineData("Large", 3, 32, 12.3, 12.6)]
    public void Preset_costs_lie_in_their_documented_ranges(string preset, int channels, int size, double lowGflops, double highGflops)
    {
        UNetConfiguration configuration = Presets.ByName(preset, channels);
        using var network = new UNet(configuration);

        double gflops = FlopCounter.ForwardFlopsPerImage(network, new ImageShape(channels, size, size)) / 1e9;

        output.WriteLine($"{preset}: {gflops:F3} GFLOP per {size}x{size} image");
        gflops.Should().BeInRange(lowGflops, highGflops);
    }
}
