namespace Ddpm.Core.Data;

/// <summary>How images are converted to channels when they are read.</summary>
public enum ColorMode
{
    /// <summary>Three channels, red, green and blue; grayscale, palette, CMYK and alpha images are converted.</summary>
    Rgb,

    /// <summary>One luminance channel; colour images are converted.</summary>
    Grayscale,
}
