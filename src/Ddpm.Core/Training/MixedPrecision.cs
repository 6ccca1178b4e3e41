using Ddpm.Core.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ddpm.Core.Training;

/// <summary>
/// The bfloat16 compute copy of a network for <see cref="TrainingPrecision.BFloat16"/>: weights are
/// copied in from the float32 master network before each step, gradients copied back to the masters'
/// float32 gradients after it, so the optimiser, the EMA and checkpoints never see bfloat16.
/// Normalisation layers (GroupNorm, BatchNorm, LayerNorm) stay in float32: their statistics need the
/// precision, and libtorch normalises bfloat16 inputs with float32 parameters.
/// </summary>
internal sealed class MixedPrecision : IDisposable
{
    private readonly List<Parameter> _masters;
    private readonly List<Parameter> _copies;
    private readonly List<(Tensor Master, Tensor Copy)> _buffers;

    private MixedPrecision(nn.Module<Tensor, Tensor, Tensor> network, List<Parameter> masters, List<Parameter> copies, List<(Tensor, Tensor)> buffers)
    {
        Network = network;
        _masters = masters;
        _copies = copies;
        _buffers = buffers;
    }

    /// <summary>The bfloat16 network the step runs.</summary>
    public nn.Module<Tensor, Tensor, Tensor> Network { get; }

    /// <summary>Builds the compute copy of <paramref name="master"/> from its configuration, on <paramref name="device"/>.</summary>
    public static MixedPrecision Create(INetworkConfiguration configuration, nn.Module<Tensor, Tensor, Tensor> master, Device device)
    {
        nn.Module<Tensor, Tensor, Tensor> copy = configuration.CreateNetwork();
        try
        {
            copy.to(device);
            copy.to(ScalarType.BFloat16);
            foreach ((string _, nn.Module module) in copy.named_modules())
            {
                switch (module)
                {
                    case GroupNorm or BatchNorm1d or BatchNorm2d or LayerNorm:
                        module.to(ScalarType.Float32);
                        break;
                    case SinusoidalPositionEmbedding embedding:
                        embedding.OutputType = ScalarType.BFloat16;
                        break;
                }
            }

            copy.train();
            var masters = master.parameters().ToList();
            var copies = copy.parameters().ToList();
            var masterBuffers = master.buffers().ToList();
            var copyBuffers = copy.buffers().ToList();
            if (masters.Count != copies.Count || masterBuffers.Count != copyBuffers.Count)
            {
                throw new InvalidOperationException($"The network built from {configuration} does not match the network being trained; bfloat16 training needs both built from one configuration.");
            }

            var instance = new MixedPrecision(copy, masters, copies, masterBuffers.Zip(copyBuffers).ToList());
            copy = null!;
            return instance;
        }
        finally
        {
            copy?.Dispose();
        }
    }

    /// <summary>Copies the float32 master weights (and buffers, such as BatchNorm's running statistics) into the compute copy and clears its gradients.</summary>
    public void CopyWeightsIn()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < _masters.Count; i++)
        {
            _copies[i].copy_(_masters[i]);
        }

        Gradients.Release(_copies);

        foreach ((Tensor master, Tensor copy) in _buffers)
        {
            copy.copy_(master);
        }
    }

    /// <summary>
    /// Gives the masters float32 copies of the compute copy's gradients (the trainer frees the masters'
    /// gradients after every step, so they have none here), and copies its buffers back to the masters
    /// (BatchNorm's running statistics move in training).
    /// </summary>
    public void CopyGradientsOut()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < _masters.Count; i++)
        {
            if (_copies[i].grad is Tensor gradient)
            {
                // The parameter keeps its own reference; the scope disposes only this wrapper.
                _masters[i].grad = gradient.to(ScalarType.Float32);
            }
        }

        foreach ((Tensor master, Tensor copy) in _buffers)
        {
            master.copy_(copy);
        }
    }

    public void Dispose() => Network.Dispose();
}
