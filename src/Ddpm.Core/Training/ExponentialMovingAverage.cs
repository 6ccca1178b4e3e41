using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Training;

/// <summary>
/// Keeps a second network whose parameters are an exponential moving average of a trained one:
/// θ_ema ← d θ_ema + (1 - d) θ, with the warm-up decay d of <see cref="EmaOptions"/>. Buffers (such
/// as BatchNorm statistics) are copied, not averaged.
/// </summary>
public sealed class ExponentialMovingAverage
{
    private readonly EmaOptions _options;
    private readonly (Tensor Average, Tensor Source)[] _parameters;
    private readonly (Tensor Average, Tensor Source)[] _buffers;

    /// <summary>Pairs an average network with the network it follows, and copies the weights into it.</summary>
    /// <param name="source">The trained network.</param>
    /// <param name="average">A network of the same architecture, on the same device, that holds the average; it is never trained.</param>
    /// <param name="options">The decay options.</param>
    /// <exception cref="ArgumentException">The two networks' parameters or buffers do not match by name and shape.</exception>
    public ExponentialMovingAverage(nn.Module source, nn.Module average, EmaOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(average);
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _parameters = Pair(source.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), average.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
        _buffers = Pair(source.named_buffers(), average.named_buffers());
        foreach (var parameter in average.parameters())
        {
            parameter.requires_grad = false;
        }

        CopyAll();
    }

    /// <summary>The decay used at optimiser step <paramref name="step"/> (1 for the first step).</summary>
    /// <param name="step">The number of optimiser steps taken, including the one just taken.</param>
    /// <returns>A value in [0, <see cref="EmaOptions.MaxDecay"/>]: 0 before <see cref="EmaOptions.StartStep"/>.</returns>
    public double DecayAt(long step)
    {
        long effective = step - _options.StartStep - 1;
        if (effective <= 0)
        {
            return 0;
        }

        double decay = 1 - Math.Pow(1 + (effective / _options.InverseGamma), -_options.Power);
        return Math.Clamp(decay, 0, _options.MaxDecay);
    }

    /// <summary>Updates the average after optimiser step <paramref name="step"/> (no-op between update intervals).</summary>
    /// <param name="step">The number of optimiser steps taken, including the one just taken.</param>
    public void Update(long step)
    {
        if (step % _options.UpdateInterval != 0 && step > _options.StartStep)
        {
            return;
        }

        double decay = DecayAt(step);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach ((Tensor average, Tensor source) in _parameters)
        {
            // θ_ema + (1 - d)(θ - θ_ema) = d θ_ema + (1 - d) θ.
            average.lerp_(source, 1 - decay);
        }

        foreach ((Tensor average, Tensor source) in _buffers)
        {
            average.copy_(source);
        }
    }

    private void CopyAll()
    {
        using var noGrad = no_grad();
        foreach ((Tensor average, Tensor source) in _parameters.Concat(_buffers))
        {
            average.copy_(source);
        }
    }

    private static (Tensor, Tensor)[] Pair(IEnumerable<(string Name, Tensor Tensor)> source, IEnumerable<(string Name, Tensor Tensor)> average)
    {
        var targets = average.ToDictionary(p => p.Name, p => p.Tensor, StringComparer.Ordinal);
        var pairs = new List<(Tensor, Tensor)>();
        foreach ((string name, Tensor tensor) in source)
        {
            if (!targets.Remove(name, out Tensor? target) || !target.shape.SequenceEqual(tensor.shape))
            {
                throw new ArgumentException($"The average network has no tensor '{name}' of shape [{string.Join(", ", tensor.shape)}]; it must have the trained network's architecture.");
            }

            pairs.Add((target, tensor));
        }

        if (targets.Count > 0)
        {
            throw new ArgumentException($"The average network has tensors the trained one lacks, such as '{targets.Keys.First()}'.");
        }

        return [.. pairs];
    }
}
