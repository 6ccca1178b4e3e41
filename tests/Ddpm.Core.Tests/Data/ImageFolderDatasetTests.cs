using Ddpm.Core.Data;
using FluentAssertions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Ddpm.Core.Tests.Data;

public sealed class ImageFolderDatasetTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ddpm-folder-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Finds_images_recursively_in_several_formats_and_resizes_them()
    {
        Save(Solid(20, 10, new Rgb24(255, 0, 0)), "a.png");
        Save(Solid(32, 32, new Rgb24(0, 255, 0)), Path.Combine("cars", "b.jpg"));
        Save(Solid(8, 8, new Rgb24(0, 0, 255)), Path.Combine("cars", "deeper", "c.bmp"));
        File.WriteAllText(Path.Combine(_root, "notes.txt"), "not an image");

        var dataset = new ImageFolderDataset(_root, new ImageFolderDatasetOptions { ImageSize = 16 });

        dataset.Count.Should().Be(3);
        dataset.Shape.Should().Be(new ImageShape(3, 16, 16));
        dataset.Files.Select(Path.GetFileName).Should().Equal("a.png", "b.jpg", "c.bmp");
        var pixels = new float[dataset.Shape.ElementCount];
        dataset.CopyImage(0, pixels);
        int plane = 16 * 16;
        pixels.AsSpan(0, plane).ToArray().Should().OnlyContain(v => v == 1f, "red is 255 → 1");
        pixels.AsSpan(plane, 2 * plane).ToArray().Should().OnlyContain(v => v == -1f, "green and blue are 0 → -1");
        dataset.CopyImage(2, pixels);
        pixels.AsSpan(2 * plane, plane).ToArray().Should().OnlyContain(v => v == 1f, "the blue image's blue plane");
    }

    [Fact]
    public void Grayscale_mode_gives_one_channel_in_minus_one_to_one()
    {
        Save(Solid(8, 8, new Rgb24(255, 255, 255)), "white.png");
        Save(Solid(8, 8, new Rgb24(0, 0, 0)), "black.png");

        var dataset = new ImageFolderDataset(_root, new ImageFolderDatasetOptions { ImageSize = 8, ColorMode = ColorMode.Grayscale });

        dataset.Shape.Should().Be(new ImageShape(1, 8, 8));
        var pixels = new float[64];
        dataset.CopyImage(0, pixels);
        pixels.Should().OnlyContain(v => v == -1f, "black.png sorts first");
        dataset.CopyImage(1, pixels);
        pixels.Should().OnlyContain(v => v == 1f);
    }

    [Fact]
    public void Center_crop_keeps_the_middle_of_a_wide_image()
    {
        // 30x10: left third red, middle third green, right third blue; a centre crop keeps green only.
        using var image = new Image<Rgb24>(30, 10);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                Span<Rgb24> row = rows.GetRowSpan(y);
                for (int x = 0; x < 30; x++)
                {
                    row[x] = x < 10 ? new Rgb24(255, 0, 0) : x < 20 ? new Rgb24(0, 255, 0) : new Rgb24(0, 0, 255);
                }
            }
        });
        image.SaveAsPng(Path.Combine(_root, "stripes.png"));

        var dataset = new ImageFolderDataset(_root, new ImageFolderDatasetOptions { ImageSize = 10, ResizeMode = ResizeMode.CenterCrop });

        var pixels = new float[3 * 100];
        dataset.CopyImage(0, pixels);
        pixels.AsSpan(100, 100).ToArray().Should().OnlyContain(v => v > 0.9f, "green everywhere");
        pixels.AsSpan(0, 100).ToArray().Should().OnlyContain(v => v < -0.9f, "no red");
    }

    [Fact]
    public void An_empty_folder_is_rejected_with_its_name()
    {
        var act = () => new ImageFolderDataset(_root);

        act.Should().Throw<InvalidDataException>().WithMessage($"The folder '{_root}' holds no image files*");
    }

    [Fact]
    public void A_folder_that_does_not_exist_is_rejected()
    {
        var act = () => new ImageFolderDataset(Path.Combine(_root, "missing"));

        act.Should().Throw<DirectoryNotFoundException>().WithMessage("*missing*does not exist*");
    }

    [Fact]
    public void An_unreadable_image_fails_by_default_naming_the_file()
    {
        Save(Solid(8, 8, new Rgb24(1, 2, 3)), "good.png");
        File.WriteAllText(Path.Combine(_root, "broken.jpg"), "this is not a JPEG");

        var act = () => new ImageFolderDataset(_root, new ImageFolderDatasetOptions { ImageSize = 8 });

        act.Should().Throw<InvalidDataException>().WithMessage("Cannot read the image '*broken.jpg'*set UnreadableImages to Skip*");
    }

    [Fact]
    public void Unreadable_images_can_be_skipped_and_are_listed()
    {
        Save(Solid(8, 8, new Rgb24(1, 2, 3)), "good.png");
        File.WriteAllBytes(Path.Combine(_root, "empty.png"), []);

        var dataset = new ImageFolderDataset(_root, new ImageFolderDatasetOptions { ImageSize = 8, UnreadableImages = UnreadableImagePolicy.Skip });

        dataset.Count.Should().Be(1);
        dataset.SkippedFiles.Select(Path.GetFileName).Should().Equal("empty.png");
    }

    [Fact]
    public void Invalid_options_are_rejected_by_name()
    {
        var act = () => new ImageFolderDataset(_root, new ImageFolderDatasetOptions { ImageSize = 0 });

        act.Should().Throw<ArgumentException>().WithMessage("ImageFolderDatasetOptions.ImageSize is 0*");
    }

    [Fact]
    public void Reads_check_the_index_and_the_destination_size()
    {
        Save(Solid(8, 8, new Rgb24(1, 2, 3)), "one.png");
        var dataset = new ImageFolderDataset(_root, new ImageFolderDatasetOptions { ImageSize = 8 });

        var badIndex = () => dataset.CopyImage(1, new float[192]);
        var badSpan = () => dataset.CopyImage(0, new float[10]);

        badIndex.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[0, 0]*");
        badSpan.Should().Throw<ArgumentException>().WithMessage("*holds 10 values*needs 192*");
    }

    private static Image<Rgb24> Solid(int width, int height, Rgb24 color) => new(width, height, color);

    private void Save(Image<Rgb24> image, string relativePath)
    {
        string path = Path.Combine(_root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (image)
        {
            image.Save(path);
        }
    }
}
