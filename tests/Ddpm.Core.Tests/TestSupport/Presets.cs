using Ddpm.Core.Models;

namespace Ddpm.Core.Tests.TestSupport;

/// <summary>The UNet presets by name, for theories over all of them.</summary>
internal static class Presets
{
    public static UNetConfiguration ByName(string preset, int channels) => preset switch
    {
        "Tiny" => UNetPresets.Tiny(channels),
        "Small" => UNetPresets.Small(channels),
        "Medium" => UNetPresets.Medium(channels),
        "Base" => UNetPresets.Base(channels),
        "Large" => UNetPresets.Large(channels),
        _ => throw new ArgumentOutOfRangeException(nameof(preset), preset, "Not a UNet preset."),
    };
}
