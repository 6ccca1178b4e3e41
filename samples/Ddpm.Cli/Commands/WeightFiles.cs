using Ddpm.Cli.Settings;
using Ddpm.Core.Interop;
using static TorchSharp.torch;

namespace Ddpm.Cli.Commands;

/// <summary>The weight-file formats <c>ddpm import</c> and <c>ddpm export</c> know, chosen by extension.</summary>
internal static class WeightFiles
{
    public static bool IsSafeTensors(string path) => path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);

    public static bool IsPyTorch(string path) =>
        path.EndsWith(".pt", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pth", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads a torch.save file or a .safetensors file, as the flag named it; a bad file is bad input (exit 2).</summary>
    public static StateDict Read(string path, string flag, bool pyTorch)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"{flag} '{path}' does not exist.");
        }

        try
        {
            return pyTorch ? PyTorchStateDict.Read(path) : SafeTensors.Read(path);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"{flag}: {e.Message}");
        }
    }

    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        if (IsSafeTensors(path))
        {
            SafeTensors.Write(path, tensors, metadata);
        }
        else
        {
            PyTorchStateDict.Write(path, tensors);
        }
    }
}
