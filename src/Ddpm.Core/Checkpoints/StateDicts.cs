using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Checkpoints;

/// <summary>Copies stored tensors into a module after checking every name, shape and dtype.</summary>
internal static class StateDicts
{
    /// <summary>Loads <paramref name="stored"/> into <paramref name="module"/>; throws naming every mismatch (up to five) when they do not fit.</summary>
    public static void Load(nn.Module module, IReadOnlyDictionary<string, Tensor> stored, string path, string section)
    {
        Dictionary<string, Tensor> live = module.state_dict();
        var problems = new List<string>();
        foreach ((string name, Tensor tensor) in live)
        {
            if (!stored.TryGetValue(name, out Tensor? value))
            {
                problems.Add($"'{name}' is missing");
            }
            else if (!value.shape.SequenceEqual(tensor.shape) || value.dtype != tensor.dtype)
            {
                problems.Add($"'{name}' is {value.dtype} [{string.Join(", ", value.shape)}] but the network needs {tensor.dtype} [{string.Join(", ", tensor.shape)}]");
            }
        }

        problems.AddRange(stored.Keys.Where(k => !live.ContainsKey(k)).Select(k => $"'{k}' is not in the network"));
        if (problems.Count > 0)
        {
            throw new CheckpointFormatException(
                path,
                $"the '{section}' weights do not fit the network ({problems.Count} problem(s): {string.Join("; ", problems.Take(5))}{(problems.Count > 5 ? "; ..." : string.Empty)}). It was made by a different architecture or configuration.");
        }

        using var noGrad = no_grad();
        foreach ((string name, Tensor tensor) in live)
        {
            tensor.copy_(stored[name]);
        }
    }
}
