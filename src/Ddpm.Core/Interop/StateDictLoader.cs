using static TorchSharp.torch;

namespace Ddpm.Core.Interop;

/// <summary>Copies named tensors into a network by name, as PyTorch's <c>load_state_dict</c> does, and reports what did not fit.</summary>
public static class StateDictLoader
{
    /// <summary>
    /// Copies each tensor of <paramref name="tensors"/> into the parameter or buffer of
    /// <paramref name="network"/> with the same name and shape. Floating-point values are converted
    /// to the network's precision; integer buffers (BatchNorm's <c>num_batches_tracked</c>) must be integers.
    /// </summary>
    /// <param name="network">The network to load into.</param>
    /// <param name="tensors">The tensors by name, as <see cref="SafeTensors.Read(string)"/> or <see cref="PyTorchStateDict.Read"/> return them.</param>
    /// <param name="strict">
    /// True (the default): every name must match with its shape, or nothing is copied and an
    /// <see cref="InvalidDataException"/> lists the problems. False: what fits is copied and the
    /// report says what did not (like <c>load_state_dict(strict=False)</c>, but shapes never broadcast).
    /// </param>
    /// <returns>What was loaded, missing, unexpected and mis-shaped.</returns>
    /// <exception cref="InvalidDataException"><paramref name="strict"/> is true and the tensors do not fit exactly.</exception>
    public static StateDictReport Load(nn.Module network, IReadOnlyDictionary<string, Tensor> tensors, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(tensors);
        Dictionary<string, Tensor> live = network.state_dict();
        StateDictReport report = Compare(live, tensors, exactTypes: false);
        if (strict && !report.IsExact)
        {
            throw new InvalidDataException($"The weights do not fit the network: {report}. Build the network the weights were trained with, or load with strict: false.");
        }

        Copy(live, tensors, report);
        return report;
    }

    /// <summary>
    /// Matches stored tensors to a network's state by name and shape, copying nothing: with
    /// <paramref name="exactTypes"/> a tensor must also have the network's dtype (Ddpm.Core's own
    /// checkpoints), otherwise only float-or-integer must agree (files from PyTorch, converted on copy).
    /// </summary>
    internal static StateDictReport Compare(IReadOnlyDictionary<string, Tensor> live, IReadOnlyDictionary<string, Tensor> tensors, bool exactTypes)
    {
        var loaded = new List<string>();
        var missing = new List<string>();
        var mismatched = new List<string>();
        foreach ((string name, Tensor target) in live)
        {
            if (!tensors.TryGetValue(name, out Tensor? source))
            {
                missing.Add(name);
            }
            else if (!source.shape.SequenceEqual(target.shape)
                || (exactTypes ? source.dtype != target.dtype : source.is_floating_point() != target.is_floating_point()))
            {
                mismatched.Add($"{name}: file {source.dtype} [{string.Join(", ", source.shape)}], network {target.dtype} [{string.Join(", ", target.shape)}]");
            }
            else
            {
                loaded.Add(name);
            }
        }

        return new StateDictReport(loaded, missing, tensors.Keys.Where(k => !live.ContainsKey(k)).ToList(), mismatched);
    }

    /// <summary>Copies every tensor the report lists as loaded into the network's state.</summary>
    internal static void Copy(IReadOnlyDictionary<string, Tensor> live, IReadOnlyDictionary<string, Tensor> tensors, StateDictReport report)
    {
        using var noGrad = no_grad();
        foreach (string name in report.Loaded)
        {
            live[name].copy_(tensors[name]);
        }
    }
}
