using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Ddpm.Core.Data;

/// <summary>
/// The datasets' pixel handling: resizing decoded images to the training size, and turning 8-bit
/// interleaved pixels into the library's channel-first floats in [-1, 1] (pixel / 127.5 - 1).
/// The Imaging namespace's ImageTensors converts whole images with the same arithmetic.
/// </summary>
internal static class ImagePixels
{
    /// <summary>Resizes an image in place to <paramref name="size"/> x <paramref name="size"/>.</summary>
    public static void Fit<TPixel>(Image<TPixel> image, int size, ResizeMode mode)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        if (image.Width == size && image.Height == size)
        {
            return;
        }

        image.Mutate(x => x.Resize(new ResizeOptions
        {
            Size = new SixLabors.ImageSharp.Size(size, size),
            Mode = mode == ResizeMode.CenterCrop ? SixLabors.ImageSharp.Processing.ResizeMode.Crop : SixLabors.ImageSharp.Processing.ResizeMode.Stretch,
            Sampler = KnownResamplers.Bicubic,
        }));
    }

    /// <summary>Turns H x W x C interleaved 8-bit pixels into C x H x W floats in [-1, 1].</summary>
    public static void InterleavedBytesToPlanar(ReadOnlySpan<byte> interleaved, ImageShape shape, Span<float> planar)
    {
        int channels = shape.Channels;
        int plane = shape.Height * shape.Width;
        for (int p = 0; p < plane; p++)
        {
            for (int c = 0; c < channels; c++)
            {
                planar[(c * plane) + p] = (interleaved[(p * channels) + c] / 127.5f) - 1f;
            }
        }
    }
}
