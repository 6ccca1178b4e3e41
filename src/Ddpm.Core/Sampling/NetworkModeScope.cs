using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ddpm.Core.Sampling;

/// <summary>
/// Puts a network into the mode sampling needs and, on dispose, puts back exactly what was there:
/// every module's training flag and, for <see cref="BatchNormMode.BatchStatistics"/>, every BatchNorm
/// layer's running mean, variance and batch count (which a forward pass in training mode updates).
/// </summary>
internal sealed class NetworkModeScope : IDisposable
{
    private readonly nn.Module _network;
    private readonly bool _rootTraining;
    private readonly (int Depth, nn.Module Module, bool Training)[] _modes;
    private readonly List<(Tensor Live, Tensor Saved)> _statistics = [];

    public NetworkModeScope(nn.Module network, BatchNormMode mode)
    {
        _network = network;
        _rootTraining = network.training;
        _modes = network.named_modules()
            .Select(m => (m.name.Count(c => c == '.'), m.module, m.module.training))
            .OrderBy(m => m.Item1)
            .ToArray();
        network.eval();
        if (mode != BatchNormMode.BatchStatistics)
        {
            return;
        }

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

    public void Dispose()
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
}
