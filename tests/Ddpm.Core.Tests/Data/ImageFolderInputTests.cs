using Ddpm.Core.Data;
using FluentAssertions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Ddpm.Core.Tests.Data;

/// <summary>What real image folders hold: every colour format converts, every broken file gets a named error.</summary>
public sealed class ImageFolderInputTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ddpm-inputs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    public static TheoryData<string, Func<string, Image>, IImageEncoder> Formats => new()
    {
        { "cmyk.jpg", _ => new Image<Rgb24>(8, 8, new Rgb24(200, 40, 40)), new JpegEncoder { ColorType = JpegColorType.Cmyk, Quality = 100 } },
        { "rgb48.png", _ => new Image<Rgb48>(8, 8, new Rgb48(51400, 10280, 10280)), new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Rgb } },
        { "palette.png", _ => new Image<Rgb24>(8, 8, new Rgb24(200, 40, 40)), new PngEncoder { ColorType = PngColorType.Palette } },
        { "alpha.png", _ => new Image<Rgba32>(8, 8, new Rgba32(200, 40, 40, 128)), new PngEncoder { ColorType = PngColorType.RgbWithAlpha } },
        { "gray-alpha16.png", _ => new Image<La32>(8, 8, new La32(30840, 65535)), new PngEncoder { ColorType = PngColorType.GrayscaleWithAlpha, BitDepth = PngBitDepth.Bit16 } },
        { "gray.png", _ => new Image<L8>(8, 8, new L8(120)), new PngEncoder { ColorType = PngColorType.Grayscale } },
        { "gray.jpg", _ => new Image<L8>(8, 8, new L8(120)), new JpegEncoder { ColorType = JpegColorType.Luminance, Quality = 100 } },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Every_colour_format_loads_converted_to_rgb_and_to_grayscale(string name, Func<string, Image> create, IImageEncoder encoder)
    {
        string path = Path.Combine(_root, name);
        using (Image image = create(name))
        {
            image.Save(path, encoder);
        }

        var rgb = new ImageFolderDataset(_root, new ImageFolderDatasetOptions { ImageSize = 8 });
        var gray = new ImageFolderDataset(_root, new ImageFolderDatasetOptions { ImageSize = 8, ColorMode = ColorMode.Grayscale });
        float[] pixels = Read(rgb);
        float[] luminance = Read(gray);

        rgb.Shape.Should().Be(new ImageShape(3, 8, 8));
        gray.Shape.Should().Be(new ImageShape(1, 8, 8));
        (float r, float g, float b) = (pixels[0], pixels[64], pixels[128]);
        if (name.StartsWith("gray", StringComparison.Ordinal))
        {
            // 120/255 (or 30840/65535) in [-1, 1] is about -0.06, the same on every channel.
            r.Should().BeApproximately(-0.06f, 0.02f);
            g.Should().BeApproximately(r, 0.01f);
            b.Should().BeApproximately(r, 0.01f);
        }
        else
        {
            // (200, 40, 40): alpha is dropped, as PIL's convert("RGB") drops it; CMYK and 16 bits are converted.
            r.Should().BeApproximately((2 * 200 / 255f) - 1, 0.04f, name);
            g.Should().BeApproximately((2 * 40 / 255f) - 1, 0.04f, name);
            b.Should().BeApproximately(g, 0.04f, name);
        }

        luminance.Should().OnlyContain(v => v >= -1 && v <= 1);
        pixels.Should().OnlyContain(v => Math.Abs(v - pixels[(Array.IndexOf(pixels, v) / 64) * 64]) < 0.05f, "a flat image stays flat on each channel");
    }

    [Fact]
    public void Images_smaller_than_the_target_size_are_enlarged()
    {
        using (var small = new Image<Rgb24>(3, 5, new Rgb24(255, 255, 255)))
        {
            small.SaveAsPng(Path.Combine(_root, "small.png"));
        }

        var dataset = new ImageFolderDataset(_root, new ImageFolderDatasetOptions { ImageSize = 16 });

        dataset.Shape.Should().Be(new ImageShape(3, 16, 16));
        Read(dataset).Should().OnlyContain(v => v > 0.95f, "a white 3x5 image becomes a white 16x16 one");
    }

    [Fact]
    public void Mixed_sizes_and_channel_counts_all_come_out_in_the_one_shape()
    {
        using (var a = new Image<L8>(5, 9, new L8(0)))
        using (var b = new Image<Rgba32>(40, 30, new Rgba32(255, 0, 0, 255)))
        using (var c = new Image<Rgb24>(16, 16, new Rgb24(0, 0, 255)))
        {
            a.SaveAsPng(Path.Combine(_root, "a.png"));
            b.SaveAsPng(Path.Combine(_root, "b.png"));
            c.SaveAsJpeg(Path.Combine(_root, "c.jpg"));
        }

        var dataset = new ImageFolderDataset(_root, new ImageFolderDatasetOptions { ImageSize = 12 });

        dataset.Count.Should().Be(3);
        dataset.Shape.Should().Be(new ImageShape(3, 12, 12));
        var image = new float[dataset.Shape.ElementCount];
        for (int i = 0; i < 3; i++)
        {
            dataset.CopyImage(i, image);
            image.Should().OnlyContain(v => v >= -1 && v <= 1);
        }
    }

    [Fact]
    public void A_folder_of_only_other_files_is_rejected_listing_the_extensions_it_looked_for()
    {
        File.WriteAllText(Path.Combine(_root, "notes.txt"), "no images here");
        File.WriteAllText(Path.Combine(_root, "labels.csv"), "a,b");

        var act = () => new ImageFolderDataset(_root, new ImageFolderDatasetOptions { ImageSize = 8 });

        act.Should().Throw<InvalidDataException>().WithMessage($"The folder '{_root}' holds no image files (.jpg, .jpeg, .png*) in it or its subfolders.");
    }

    public static TheoryData<string, byte[]> BrokenFiles()
    {
        byte[] jpeg = Encode(new JpegEncoder { Quality = 90 });
        byte[] png = Encode(new PngEncoder());
        return new()
        {
            { "zero-bytes.png", [] },
            { "text.png", "this is not a PNG"u8.ToArray() },
            { "png-named.jpg", png[..40] },
            { "truncated.jpg", jpeg[..(jpeg.Length / 3)] },
            { "truncated.png", png[..(png.Length / 2)] },
            { "header-only.jpg", jpeg[..2] },
        };
    }

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void A_broken_file_fails_naming_it_or_is_skipped_and_counted(string name, byte[] content)
    {
        using (var good = new Image<Rgb24>(8, 8, new Rgb24(1, 2, 3)))
        {
            good.SaveAsPng(Path.Combine(_root, "good.png"));
        }

        File.WriteAllBytes(Path.Combine(_root, name), content);

        var fail = () => new ImageFolderDataset(_root, new ImageFolderDatasetOptions { ImageSize = 8 });
        var skipped = new ImageFolderDataset(_root, new ImageFolderDatasetOptions { ImageSize = 8, UnreadableImages = UnreadableImagePolicy.Skip });

        fail.Should().Throw<InvalidDataException>().WithMessage($"Cannot read the image '*{name}' (*). Remove or repair it, or set UnreadableImages to Skip.");
        skipped.Count.Should().Be(1);
        skipped.SkippedFiles.Select(Path.GetFileName).Should().Equal(name);
    }

    [Fact]
    public void A_header_that_claims_an_enormous_image_is_refused_before_decoding()
    {
        byte[] bmp = Encode(new SixLabors.ImageSharp.Formats.Bmp.BmpEncoder());

        // BITMAPINFOHEADER: width at byte 18, height at byte 22, little-endian; 20000 x 20000 is 400 megapixels.
        BitConverter.GetBytes(20000).CopyTo(bmp, 18);
        BitConverter.GetBytes(20000).CopyTo(bmp, 22);
        File.WriteAllBytes(Path.Combine(_root, "bomb.bmp"), bmp);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var act = () => new ImageFolderDataset(_root, new ImageFolderDatasetOptions { ImageSize = 8, DegreeOfParallelism = 1 });

        act.Should().Throw<InvalidDataException>().WithMessage("*bomb.bmp*20000x20000*268,435,456*");
        (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore).Should().BeLessThan(512L << 20, "the 1.2 GB of pixels are never allocated");
    }

    private static byte[] Encode(IImageEncoder encoder)
    {
        using var image = new Image<Rgb24>(64, 64);
        for (int y = 0; y < 64; y++)
        {
            for (int x = 0; x < 64; x++)
            {
                image[x, y] = new Rgb24((byte)(x * 4), (byte)(y * 4), (byte)((x + y) * 2));
            }
        }

        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    private static float[] Read(ImageFolderDataset dataset)
    {
        var values = new float[dataset.Shape.ElementCount];
        dataset.CopyImage(0, values);
        return values;
    }
}
