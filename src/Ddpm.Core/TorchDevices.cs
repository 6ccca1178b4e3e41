using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core;

/// <summary>Parses and checks the device names users write in options: <c>cpu</c>, <c>cuda</c> and <c>cuda:N</c>.</summary>
internal static class TorchDevices
{
    /// <summary>Returns null when <paramref name="name"/> is a well-formed device name, else the reason it is not.</summary>
    public static string? Describe(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "is empty; use \"cpu\", \"cuda\" or \"cuda:N\"";
        }

        string value = name.Trim().ToLowerInvariant();
        if (value is "cpu" or "cuda")
        {
            return null;
        }

        if (value.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(value.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index >= 0)
        {
            return null;
        }

        return $"is \"{name}\", which is not a device; use \"cpu\", \"cuda\" or \"cuda:N\" (N = 0, 1, ...)";
    }

    /// <summary>Turns a device name into a device, initialising CUDA and checking that it exists.</summary>
    /// <param name="name">The device name.</param>
    /// <param name="optionName">The option the name came from, for error messages.</param>
    /// <exception cref="ArgumentException">The name is malformed.</exception>
    /// <exception cref="InvalidOperationException">CUDA was asked for but is not available.</exception>
    public static Device Resolve(string name, string optionName)
    {
        string? problem = Describe(name);
        if (problem is not null)
        {
            throw new ArgumentException($"{optionName} {problem}.");
        }

        string value = name.Trim().ToLowerInvariant();
        if (value == "cpu")
        {
            return CPU;
        }

        Exception? failure = null;
        try
        {
            InitializeDeviceType(DeviceType.CUDA);
        }
        catch (Exception e) when (e is InvalidOperationException or DllNotFoundException or NotSupportedException)
        {
            failure = e;
        }

        if (failure is not null || !cuda.is_available())
        {
            throw new InvalidOperationException(
                $"{optionName} is \"{name}\" but no CUDA device is available: the application references a CPU-only TorchSharp backend (TorchSharp-cpu), or no GPU or driver was found. Use \"cpu\", or reference a CUDA libtorch backend and check the driver.",
                failure);
        }

        int index = value == "cuda" ? 0 : int.Parse(value.AsSpan(5), CultureInfo.InvariantCulture);
        int count = cuda.device_count();
        if (index >= count)
        {
            throw new InvalidOperationException($"{optionName} is \"{name}\" but only {count} CUDA device(s) exist (cuda:0 to cuda:{count - 1}).");
        }

        return new Device(DeviceType.CUDA, index);
    }
}
