using Ddpm.Core.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Imaging;

/// <summary>
/// Conversions between ImageSharp images and tensors in the library's convention: channel-first
/// float values in [-1, 1], where -1 is black and 1 is white (pixel / 127.5 - 1).
/// </summary>
public static class ImageTensors
{
    /// <summary>Converts one image tensor to an RGB image, clamping values to [-1, 1] first.</summary>
    /// <param name="image">A tensor of shape [C, H, W] with C = 1 (grayscale, repeated to RGB) or 3, on any device.</param>
    /// <returns>A new image the caller owns.</returns>
    /// <exception cref="ArgumentException">The tensor's shape is not [1|3, H, W].</exception>
    public static Image<Rgb24> ToImage(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() != 3 || (image.shape[0] != 1 && image.shape[0] != 3))
        {
            throw new ArgumentException($"An image tensor must have shape [1 or 3, H, W], not [{string.Join(", ", image.shape)}].", nameof(image));
        }

        int height = checked((int)image.shape[1]);
        int width = checked((int)image.shape[2]);
        byte[] bytes;
        using (NewDisposeScope())
        {
            Tensor rgb = image.shape[0] == 1 ? image.expand(3, height, width) : image;

            // [-1, 1] -> [0, 255], rounded, in interleaved H x W x 3 order.
            bytes = rgb.detach().to(ScalarType.Float32).Clamp(-1, 1).Plus(1).Times(127.5).round()
                .permute(1, 2, 0).contiguous().to(ScalarType.Byte).cpu().data<byte>().ToArray();
        }

        return Image.LoadPixelData<Rgb24>(bytes, width, height);
    }

    /// <summary>Converts an RGB image to a tensor of shape [3, H, W] with values in [-1, 1] on the CPU.</summary>
    /// <param name="image">The image.</param>
    /// <returns>A new tensor the caller owns.</returns>
    public static Tensor FromImage(Image<Rgb24> image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var pixels = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Rgb24>(pixels.AsSpan()));
        var shape = new ImageShape(3, image.Height, image.Width);
        var values = new float[shape.ElementCount];
        ImagePixels.InterleavedBytesToPlanar(pixels, shape, values);
        return tensor(values, [3, image.Height, image.Width]);
    }
}
