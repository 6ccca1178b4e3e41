using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Ddpm.Core.Models;

/// <summary>
/// One level of the notebook's SimpleUnet: conv → ReLU → BatchNorm, add the projected time embedding,
/// conv → ReLU → BatchNorm, then a strided conv (down) or transposed conv (up) that halves or doubles
/// the resolution. Field names match the PyTorch state-dict keys.
/// </summary>
internal sealed class SimpleUNetBlock : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "time_mlp")]
    private readonly Linear _timeMlp;

    [ComponentName(Name = "conv1")]
    private readonly Conv2d _conv1;

    [ComponentName(Name = "transform")]
    private readonly nn.Module<Tensor, Tensor> _transform;

    [ComponentName(Name = "conv2")]
    private readonly Conv2d _conv2;

    [ComponentName(Name = "bnorm1")]
    private readonly BatchNorm2d _bnorm1;

    [ComponentName(Name = "bnorm2")]
    private readonly BatchNorm2d _bnorm2;

    [ComponentName(Name = "relu")]
    private readonly ReLU _relu;

    public SimpleUNetBlock(int inChannels, int outChannels, int timeEmbeddingDim, bool up) : base(nameof(SimpleUNetBlock))
    {
        _timeMlp = nn.Linear(timeEmbeddingDim, outChannels);
        if (up)
        {
            // The up path concatenates the skip connection, doubling the input channels.
            _conv1 = nn.Conv2d(2 * inChannels, outChannels, kernel_size: 3, padding: 1);
            _transform = nn.ConvTranspose2d(outChannels, outChannels, kernel_size: 4, stride: 2, padding: 1);
        }
        else
        {
            _conv1 = nn.Conv2d(inChannels, outChannels, kernel_size: 3, padding: 1);
            _transform = nn.Conv2d(outChannels, outChannels, kernel_size: 4, stride: 2, padding: 1);
        }

        _conv2 = nn.Conv2d(outChannels, outChannels, kernel_size: 3, padding: 1);
        _bnorm1 = nn.BatchNorm2d(outChannels);
        _bnorm2 = nn.BatchNorm2d(outChannels);
        _relu = nn.ReLU();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor timeEmbedding)
    {
        using var scope = NewDisposeScope();
        Tensor h = InferenceForward.BatchNorm(_bnorm1, _relu.call(_conv1.call(x)));
        Tensor time = _relu.call(_timeMlp.call(timeEmbedding)).unsqueeze(-1).unsqueeze(-1);
        h = h.Plus(time);
        h = InferenceForward.BatchNorm(_bnorm2, _relu.call(_conv2.call(h)));
        return _transform.call(h).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _timeMlp.Dispose();
            _conv1.Dispose();
            _transform.Dispose();
            _conv2.Dispose();
            _bnorm1.Dispose();
            _bnorm2.Dispose();
            _relu.Dispose();
        }

        base.Dispose(disposing);
    }
}
