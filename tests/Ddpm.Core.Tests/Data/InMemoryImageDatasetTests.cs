using Ddpm.Core.Data;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Data;

public sealed class InMemoryImageDatasetTests
{
    [Fact]
    public void Copies_each_image_in_channel_first_order()
    {
        using Tensor images = arange(2 * 3 * 2 * 2, dtype: ScalarType.Float32).reshape(2, 3, 2, 2) / 24f;

        var dataset = new InMemoryImageDataset(images);

        dataset.Count.Should().Be(2);
        dataset.Shape.Should().Be(new ImageShape(3, 2, 2));
        var pixels = new float[12];
        dataset.CopyImage(1, pixels);
        pixels.Should().Equal(Enumerable.Range(12, 12).Select(i => i / 24f));
    }

    [Fact]
    public void Non_finite_or_out_of_range_values_are_rejected_naming_the_image()
    {
        using Tensor withNaN = zeros(3, 1, 2, 2);
        withNaN[2, 0, 1, 1] = tensor(float.NaN);
        using Tensor tooBright = zeros(2, 1, 2, 2);
        tooBright[1, 0, 0, 0] = tensor(255f);

        var nan = () => new InMemoryImageDataset(withNaN);
        var range = () => new InMemoryImageDataset(tooBright);

        nan.Should().Throw<ArgumentException>().WithMessage("Image 2 holds the value NaN*");
        range.Should().Throw<ArgumentException>().WithMessage("Image 1 holds the value 255*x / 127.5 - 1*");
    }

    [Fact]
    public void Wrong_shapes_and_integer_tensors_are_rejected()
    {
        using Tensor flat = zeros(4, 4);
        using Tensor bytes = zeros(new long[] { 1, 1, 2, 2 }, dtype: ScalarType.Byte);

        var act = () => new InMemoryImageDataset(flat);
        var integers = () => new InMemoryImageDataset(bytes);

        act.Should().Throw<ArgumentException>().WithMessage("*[N, C, H, W]*[4, 4]*");
        integers.Should().Throw<ArgumentException>().WithMessage("*floating-point*");
    }
}
