using Ddpm.Core.Imaging;
using FluentAssertions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Imaging;

public sealed class ImageGridTests
{
    [Fact]
    public void A_grid_places_images_row_by_row_with_padding()
    {
        // Five 4x4 grayscale images, image i filled with a distinct level.
        using Tensor images = stack(Enumerable.Range(0, 5).Select(i => full(new long[] { 1, 4, 4 }, (i / 2f) - 1)).ToArray());

        using Image<Rgb24> grid = ImageGrid.Create(images, columns: 3, padding: 1);

        grid.Width.Should().Be(1 + (3 * 5));
        grid.Height.Should().Be(1 + (2 * 5));
        grid[1, 1].R.Should().Be(0, "image 0 is -1 → black");
        grid[1 + 5, 1].R.Should().Be(64, "image 1 is -0.5 → 63.75 rounds to 64");
        grid[1 + 10, 1 + 5].Should().Be(new Rgb24(24, 24, 24), "the sixth cell is empty padding");
        grid[1 + 5, 1 + 5].R.Should().Be(255, "image 4 is 1 → white");
    }

    [Fact]
    public void Tensor_and_image_round_trip_exactly_for_8_bit_values()
    {
        using var image = new Image<Rgb24>(3, 2);
        image[0, 0] = new Rgb24(0, 128, 255);
        image[2, 1] = new Rgb24(7, 77, 177);

        using Tensor values = ImageTensors.FromImage(image);
        using Image<Rgb24> back = ImageTensors.ToImage(values);

        values.shape.Should().Equal(3, 2, 3);
        values.min().item<float>().Should().BeGreaterThanOrEqualTo(-1f);
        back[0, 0].Should().Be(new Rgb24(0, 128, 255));
        back[2, 1].Should().Be(new Rgb24(7, 77, 177));
    }

    [Fact]
    public void SavePng_writes_a_file_that_loads_back()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ddpm-grid-{Guid.NewGuid():N}", "grid.png");
        using Tensor images = rand(4, 3, 8, 8) * 2 - 1;
        try
        {
            ImageGrid.SavePng(images, path);

            using Image<Rgb24> loaded = Image.Load<Rgb24>(path);
            loaded.Width.Should().Be(2 + (2 * 10));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void ToPng_encodes_the_grid_that_SavePng_writes()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ddpm-grid-{Guid.NewGuid():N}", "grid.png");
        using Tensor images = rand(5, 1, 6, 6) * 2 - 1;
        try
        {
            ImageGrid.SavePng(images, path, columns: 5);

            ImageGrid.ToPng(images, columns: 5).Should().Equal(File.ReadAllBytes(path));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void Wrong_shapes_are_rejected()
    {
        using Tensor single = zeros(3, 8, 8);
        using Tensor fourChannels = zeros(1, 4, 8, 8);

        var grid = () => ImageGrid.Create(single);
        var channels = () => ImageGrid.Create(fourChannels);

        grid.Should().Throw<ArgumentException>().WithMessage("*[N, C, H, W]*");
        channels.Should().Throw<ArgumentException>().WithMessage("*[1 or 3, H, W]*");
    }
}
