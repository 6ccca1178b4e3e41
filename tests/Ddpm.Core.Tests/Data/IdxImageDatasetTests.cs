using System.Buffers.Binary;
using System.IO.Compression;
using Ddpm.Core.Data;
using FluentAssertions;

namespace Ddpm.Core.Tests.Data;

public sealed class IdxImageDatasetTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ddpm-idx-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_plain_and_gzipped_files(bool gzip)
    {
        string path = Write("images.idx", Idx(3, 4, 4, i => (byte)(i * 17)), gzip);

        var dataset = new IdxImageDataset(path);

        dataset.Count.Should().Be(3);
        dataset.Shape.Should().Be(new ImageShape(1, 4, 4));
        var pixels = new float[16];
        dataset.CopyImage(1, pixels);
        pixels[0].Should().BeApproximately((16 * 17 % 256 / 127.5f) - 1, 1e-6f);
    }

    [Fact]
    public void Resizes_and_limits_the_count()
    {
        string path = Write("images.idx", Idx(5, 28, 28, _ => 255), gzip: false);

        var dataset = new IdxImageDataset(path, imageSize: 32, maxImages: 2);

        dataset.Count.Should().Be(2);
        dataset.Shape.Should().Be(new ImageShape(1, 32, 32));
        var pixels = new float[32 * 32];
        dataset.CopyImage(1, pixels);
        pixels.Should().OnlyContain(v => v > 0.99f);
    }

    [Fact]
    public void Padding_centres_the_exact_pixels_on_black()
    {
        string path = Write("images.idx", Idx(2, 2, 2, i => (byte)(i % 4 == 0 ? 255 : 51)), gzip: false);

        var dataset = new IdxImageDataset(path, padTo: 4);
        var both = () => new IdxImageDataset(path, imageSize: 4, padTo: 4);
        var tooSmall = () => new IdxImageDataset(path, padTo: 1);

        dataset.Shape.Should().Be(new ImageShape(1, 4, 4));
        var pixels = new float[16];
        dataset.CopyImage(0, pixels);
        pixels[5].Should().Be(1f, "the 2x2 image starts at (1, 1)");
        pixels[6].Should().BeApproximately((51 / 127.5f) - 1, 1e-6f);
        pixels.Where((_, i) => i is not (5 or 6 or 9 or 10)).Should().OnlyContain(v => v == -1f, "the border is black");
        both.Should().Throw<ArgumentException>().WithMessage("*not both*");
        tooSmall.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*padTo must lie in [2, 4096]*");
    }

    [Fact]
    public void A_wrong_magic_number_is_rejected()
    {
        byte[] content = Idx(1, 2, 2, _ => 0);
        content[3] = 0x01;

        var act = () => new IdxImageDataset(Write("labels.idx", content, gzip: false));

        act.Should().Throw<InvalidDataException>().WithMessage("*not an IDX image file*0x00000803*");
    }

    [Fact]
    public void A_truncated_file_is_rejected()
    {
        byte[] content = Idx(4, 3, 3, _ => 0);

        var act = () => new IdxImageDataset(Write("short.idx", content[..^5], gzip: false));

        act.Should().Throw<InvalidDataException>().WithMessage("*declares 4 images of 3x3 (36 bytes) but holds 31*truncated*");
    }

    [Theory]
    [InlineData(4, 3, 3, 37, "*declares 4 images of 3x3 (36 bytes) but holds 37*")]
    [InlineData(0, 3, 3, 0, "*declares 0 images of 3x3*")]
    [InlineData(4, -3, 3, 0, "*declares 4 images of -3x3*")]
    [InlineData(65536, 65536, 65536, 100, "*declares 65536 images of 65536x65536 (281474976710656 bytes) but holds 100*")]
    public void Dimensions_that_disagree_with_the_file_length_are_rejected(int count, int height, int width, int pixelBytes, string message)
    {
        byte[] content = new byte[16 + pixelBytes];
        BinaryPrimitives.WriteInt32BigEndian(content, 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(content.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(content.AsSpan(8), height);
        BinaryPrimitives.WriteInt32BigEndian(content.AsSpan(12), width);

        var act = () => new IdxImageDataset(Write("dims.idx", content, gzip: true));

        act.Should().Throw<InvalidDataException>().WithMessage(message);
    }

    private static byte[] Idx(int count, int height, int width, Func<int, byte> pixel)
    {
        var content = new byte[16 + (count * height * width)];
        BinaryPrimitives.WriteInt32BigEndian(content, 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(content.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(content.AsSpan(8), height);
        BinaryPrimitives.WriteInt32BigEndian(content.AsSpan(12), width);
        for (int i = 0; i < count * height * width; i++)
        {
            content[16 + i] = pixel(i);
        }

        return content;
    }

    private string Write(string name, byte[] content, bool gzip)
    {
        string path = Path.Combine(_root, gzip ? name + ".gz" : name);
        using FileStream file = File.Create(path);
        if (gzip)
        {
            using var compressor = new GZipStream(file, CompressionLevel.Fastest);
            compressor.Write(content);
        }
        else
        {
            file.Write(content);
        }

        return path;
    }
}
