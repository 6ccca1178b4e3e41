namespace Ddpm.Core.Interop;

/// <summary>How a set of named tensors (a PyTorch <c>state_dict</c>, a safetensors file) fits a network.</summary>
/// <param name="Loaded">Names copied into the network.</param>
/// <param name="Missing">Names the network has and the file lacks.</param>
/// <param name="Unexpected">Names the file has and the network lacks.</param>
/// <param name="Mismatched">Names both have with different shapes or kinds of value, each with the shapes, such as <c>"conv0.weight: file [64, 3, 3, 3], network [64, 1, 3, 3]"</c>.</param>
public sealed record StateDictReport(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<string> Mismatched)
{
    /// <summary>Gets whether every tensor of the network was found with its shape and nothing was left over.</summary>
    public bool IsExact => Missing.Count == 0 && Unexpected.Count == 0 && Mismatched.Count == 0;

    /// <summary>A one-paragraph summary that lists up to five names of each kind.</summary>
    /// <returns>The summary.</returns>
    public override string ToString()
    {
        static string List(string label, IReadOnlyList<string> names) =>
            names.Count == 0 ? string.Empty : $"; {names.Count} {label}: {string.Join(", ", names.Take(5))}{(names.Count > 5 ? ", ..." : string.Empty)}";
        return $"{Loaded.Count} tensor(s) loaded{List("missing", Missing)}{List("unexpected", Unexpected)}{List("mis-shaped", Mismatched)}";
    }
}
