namespace Ddpm.Cli.Settings;

/// <summary>The UNet sizes <c>--unet</c> offers: the library's <see cref="Ddpm.Core.Models.UNetPresets"/>.</summary>
internal enum UNetSize
{
    /// <summary>0.18M parameters.</summary>
    Tiny,

    /// <summary>0.67M parameters, the library's default network.</summary>
    Small,

    /// <summary>1.7M parameters.</summary>
    Medium,

    /// <summary>9.6M parameters.</summary>
    Base,

    /// <summary>38M parameters.</summary>
    Large,
}
