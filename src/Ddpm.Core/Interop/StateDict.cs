using System.Collections;
using System.Diagnostics.CodeAnalysis;
using static TorchSharp.torch;

namespace Ddpm.Core.Interop;

/// <summary>
/// Tensors by name, as read from a weights file (<see cref="SafeTensors"/>, <see cref="PyTorchStateDict"/>), that
/// own their native memory: disposing the state dict disposes every tensor still in it, so one <c>using</c>
/// frees a file's worth of weights (250 MB for the notebook's network). Names keep the file's order.
/// <see cref="Take"/> hands one tensor over to the caller, who then disposes it.
/// </summary>
public sealed class StateDict : IReadOnlyDictionary<string, Tensor>, IDisposable
{
    private readonly Dictionary<string, Tensor> _tensors;
    private bool _disposed;

    /// <summary>Takes ownership of <paramref name="tensors"/>.</summary>
    internal StateDict(Dictionary<string, Tensor> tensors) => _tensors = tensors;

    /// <summary>Gets the number of tensors.</summary>
    public int Count => _tensors.Count;

    /// <summary>Gets the tensor names, in the file's order.</summary>
    public IEnumerable<string> Keys => _tensors.Keys;

    /// <summary>Gets the tensors, in the file's order.</summary>
    public IEnumerable<Tensor> Values => _tensors.Values;

    /// <summary>Gets the tensor named <paramref name="key"/>; the state dict still owns it.</summary>
    /// <param name="key">The tensor's name.</param>
    /// <exception cref="KeyNotFoundException">There is no tensor of that name.</exception>
    public Tensor this[string key] => _tensors.TryGetValue(key, out Tensor? tensor)
        ? tensor
        : throw new KeyNotFoundException($"The state dict has no tensor named '{key}'; it has {_tensors.Count} (for example '{_tensors.Keys.FirstOrDefault()}').");

    /// <summary>Whether a tensor of that name is in the state dict.</summary>
    /// <param name="key">The tensor's name.</param>
    /// <returns>True when there is one.</returns>
    public bool ContainsKey(string key) => _tensors.ContainsKey(key);

    /// <summary>Gets the tensor of that name, if there is one; the state dict still owns it.</summary>
    /// <param name="key">The tensor's name.</param>
    /// <param name="value">The tensor, or null.</param>
    /// <returns>True when there is one.</returns>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out Tensor value) => _tensors.TryGetValue(key, out value);

    /// <summary>Removes a tensor and hands it to the caller, who disposes it; the state dict no longer does.</summary>
    /// <param name="key">The tensor's name.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="KeyNotFoundException">There is no tensor of that name.</exception>
    public Tensor Take(string key)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Tensor tensor = this[key];
        _tensors.Remove(key);
        return tensor;
    }

    /// <summary>Enumerates the tensors by name, in the file's order.</summary>
    /// <returns>The enumerator.</returns>
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => _tensors.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Disposes every tensor still in the state dict.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (Tensor tensor in _tensors.Values)
        {
            tensor.Dispose();
        }

        _tensors.Clear();
    }
}
