using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Ddpm.Evaluation;

/// <summary>
/// A small convolutional classifier of 32x32 grayscale Fashion-MNIST images in [-1, 1], whose
/// 128-wide penultimate layer serves as the feature space of <see cref="SampleQualityEvaluator"/>
/// (the role Inception-v3 plays for FID on natural images).
/// </summary>
internal sealed class FashionMnistClassifier : nn.Module<Tensor, Tensor>
{
    public const int FeatureWidth = 128;
    public const int ClassCount = 10;

    [ComponentName(Name = "features")]
    private readonly Sequential _features;

    [ComponentName(Name = "head")]
    private readonly Linear _head;

    public FashionMnistClassifier() : base(nameof(FashionMnistClassifier))
    {
        _features = nn.Sequential(
            ("conv1", nn.Conv2d(1, 32, kernel_size: 3, padding: 1)), ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(32, 32, kernel_size: 3, padding: 1)), ("relu2", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
            ("conv3", nn.Conv2d(32, 64, kernel_size: 3, padding: 1)), ("relu3", nn.ReLU()),
            ("conv4", nn.Conv2d(64, 64, kernel_size: 3, padding: 1)), ("relu4", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
            ("conv5", nn.Conv2d(64, 128, kernel_size: 3, padding: 1)), ("relu5", nn.ReLU()), ("pool3", nn.MaxPool2d(2)),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(128 * 4 * 4, FeatureWidth)), ("relu6", nn.ReLU()));
        _head = nn.Linear(FeatureWidth, ClassCount);
        RegisterComponents();
    }

    /// <summary>The class logits, [B, 10].</summary>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        return _head.call(_features.call(images)).MoveToOuterDisposeScope();
    }

    /// <summary>The penultimate features, [B, 128], and the class logits, [B, 10].</summary>
    public (Tensor Features, Tensor Logits) FeaturesAndLogits(Tensor images)
    {
        using var scope = NewDisposeScope();
        Tensor features = _features.call(images);
        Tensor logits = _head.call(features);
        return (features.MoveToOuterDisposeScope(), logits.MoveToOuterDisposeScope());
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _features.Dispose();
            _head.Dispose();
        }

        base.Dispose(disposing);
    }
}
