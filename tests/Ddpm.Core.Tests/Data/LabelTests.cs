using System.Buffers.Binary;
using Ddpm.Core.Data;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Data;

public sealed class LabelTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Image_folder_classes_are_the_first_level_subfolders_in_order()
    {
        foreach ((string folder, string file) in new[] { ("shoes", "a.png"), ("bags", "b.png"), ("shoes", "c.png"), ("bags/inner", "d.png") })
        {
            Directory.CreateDirectory(Path.Combine(_folder.Path, folder));
            using var image = new Image<Rgb24>(4, 4);
            image.SaveAsPng(Path.Combine(_folder.Path, folder, file));
        }

        var dataset = new ImageFolderDataset(_folder.Path, new ImageFolderDatasetOptions { ImageSize = 4 });

        dataset.ClassNames.Should().Equal("bags", "shoes");
        dataset.Files.Select(f => Path.GetRelativePath(_folder.Path, f).Replace('\\', '/')).Should().Equal("bags/b.png", "bags/inner/d.png", "shoes/a.png", "shoes/c.png");
        Enumerable.Range(0, 4).Select(dataset.GetLabel).Should().Equal(0, 0, 1, 1);
    }

    [Fact]
    public void A_flat_image_folder_has_no_labels()
    {
        using (var image = new Image<Rgb24>(4, 4))
        {
            image.SaveAsPng(_folder.File("flat.png"));
        }

        var dataset = new ImageFolderDataset(_folder.Path, new ImageFolderDatasetOptions { ImageSize = 4 });

        dataset.ClassCount.Should().Be(0);
        var act = () => dataset.GetLabel(0);
        act.Should().Throw<InvalidOperationException>().WithMessage("*no class labels*");
    }

    [Fact]
    public void Idx_labels_are_read_and_checked_against_the_images()
    {
        string images = _folder.File("images.idx");
        string labels = _folder.File("labels.idx");
        string wrong = _folder.File("wrong.idx");
        File.WriteAllBytes(images, Idx(0x803, [3, 2, 2], new byte[12]));
        File.WriteAllBytes(labels, Idx(0x801, [3], [7, 0, 9]));
        File.WriteAllBytes(wrong, Idx(0x801, [2], [1, 2]));

        var dataset = new IdxImageDataset(images, labelsPath: labels, maxImages: 2);
        var mismatched = () => new IdxImageDataset(images, labelsPath: wrong);
        var notLabels = () => new IdxImageDataset(images, labelsPath: images);

        dataset.ClassCount.Should().Be(8, "labels 0 to 7 among the images kept");
        dataset.GetLabel(0).Should().Be(7);
        mismatched.Should().Throw<InvalidDataException>().WithMessage("*declares 2 labels*images file has 3*");
        notLabels.Should().Throw<InvalidDataException>().WithMessage("*not an IDX labels file*0x00000801*");
    }

    [Fact]
    public void In_memory_labels_are_checked()
    {
        using Tensor images = zeros(3, 1, 2, 2);
        using Tensor labels = tensor(new long[] { 0, 2, 1 });
        using Tensor tooHigh = tensor(new long[] { 0, 5, 1 });
        using Tensor shortLabels = tensor(new long[] { 0, 1 });

        var dataset = new InMemoryImageDataset(images, labels, ["a", "b", "c"]);
        var high = () => new InMemoryImageDataset(images, tooHigh, ["a", "b", "c"]);
        var count = () => new InMemoryImageDataset(images, shortLabels);

        dataset.GetLabel(1).Should().Be(2);
        high.Should().Throw<ArgumentException>().WithMessage("Image 1 has the label 5; labels must lie in [0, 2]*");
        count.Should().Throw<ArgumentException>().WithMessage("*shape [3], one per image*");
    }

    private static byte[] Idx(int magic, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + (4 * dims.Length) + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * i)), dims[i]);
        }

        data.CopyTo(bytes, 4 + (4 * dims.Length));
        return bytes;
    }
}
