using System.Runtime.CompilerServices;
using Ddpm.Core.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ddpm.Core.Sampling;

/// <summary>
/// Runs a network the way sampling needs without changing it. The library's own networks
/// (<see cref="IInferenceForwardNetwork"/>) are run through <see cref="InferenceForward"/> on the calling thread:
/// nothing in them is touched, so any number of threads sample one network at once. Any other network has its
/// modules put into eval mode (BatchNorm layers into training mode for <see cref="BatchNormMode.BatchStatistics"/>)
/// and, on dispose, gets back exactly what was there: every module's training flag and every BatchNorm layer's
/// running mean, variance and batch count. Those are shared, so such a network is sampled by one call at a time.
/// </summary>
internal sealed class NetworkModeScope : IDisposable
{
    private static readonly ConditionalWeakTable<nn.Module, Lock> Locks = [];

    private readonly nn.Module _network;
    private readonly Lock _lock;
    private readonly bool _rootTraining;
    private readonly (int Depth, nn.Module Module, bool Training)[] _modes;
    private readonly List<(Tensor Live, Tensor Saved)> _statistics = [];

    /// <summary>Runs <paramref name="network"/> as sampling needs until the returned scope is disposed.</summary>
    public static IDisposable Enter(nn.Module network, BatchNormMode mode) =>
        network is IInferenceForwardNetwork
            ? InferenceForward.Enter(batchStatistics: mode == BatchNormMode.BatchStatistics)
            : new NetworkModeScope(network, mode);

    private NetworkModeScope(nn.Module network, BatchNormMode mode)
    {
        _network = network;
        _lock = Locks.GetValue(network, _ => new Lock());
        _lock.Enter();
        try
        {
            _rootTraining = network.training;
            _modes = network.named_modules()
                .Select(m => (m.name.Count(c => c == '.'), m.module, m.module.training))
                .OrderBy(m => m.Item1)
                .ToArray();
            network.eval();
            if (mode == BatchNormMode.BatchStatistics)
            {
                foreach (BatchNorm norm in network.modules().OfType<BatchNorm>())
                {
                    foreach (Tensor? live in new[] { norm.running_mean, norm.running_var, norm.num_batches_tracked })
                    {
                        if (live is not null)
                        {
                            _statistics.Add((live, live.clone()));
                        }
                    }

                    norm.train();
                }
            }
        }
        catch
        {
            _lock.Exit();
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            using (no_grad())
            {
                foreach ((Tensor live, Tensor saved) in _statistics)
                {
                    live.copy_(saved);
                    saved.Dispose();
                }
            }

            _network.train(_rootTraining);
            foreach ((_, nn.Module module, bool training) in _modes)
            {
                module.train(training);
            }
        }
        finally
        {
            _lock.Exit();
        }
    }
}
