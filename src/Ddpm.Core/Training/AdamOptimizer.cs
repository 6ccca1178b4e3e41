using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ddpm.Core.Training;

/// <summary>
/// Adam (Kingma &amp; Ba 2015, Algorithm 1) and AdamW (Loshchilov &amp; Hutter 2019, Algorithm 2),
/// the same update as PyTorch's single-tensor implementation and TorchSharp's <c>optim.Adam</c>, but
/// taken one parameter at a time, each in its own dispose scope: the step's temporaries never exceed
/// one parameter's size. TorchSharp's optimisers free their temporaries only when the whole step
/// ends, which holds about one extra network's worth of memory at the peak (docs/benchmarks.md).
/// </summary>
internal sealed class AdamOptimizer : IDisposable
{
    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly bool _decoupled;
    private readonly double _beta1;
    private readonly double _beta2;
    private readonly double _epsilon;
    private readonly double _weightDecay;

    public AdamOptimizer(IReadOnlyList<Parameter> parameters, OptimizerType type, double learningRate, double beta1, double beta2, double epsilon, double weightDecay)
    {
        _parameters = parameters;
        _decoupled = type == OptimizerType.AdamW;
        LearningRate = learningRate;
        _beta1 = beta1;
        _beta2 = beta2;
        _epsilon = epsilon;
        _weightDecay = weightDecay;
        ExpAvg = parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        ExpAvgSq = parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        Steps = new long[parameters.Count];
    }

    /// <summary>Gets or sets the learning rate of the next step.</summary>
    public double LearningRate { get; set; }

    /// <summary>m, the first-moment estimate of each parameter, in parameter order.</summary>
    public IReadOnlyList<Tensor> ExpAvg { get; }

    /// <summary>v, the second-moment estimate of each parameter.</summary>
    public IReadOnlyList<Tensor> ExpAvgSq { get; }

    /// <summary>t, the number of updates each parameter has received (its bias correction).</summary>
    public long[] Steps { get; }

    /// <summary>Updates every parameter that has a gradient; one without is left alone, as in PyTorch.</summary>
    public void Step()
    {
        using var noGrad = no_grad();
        for (int i = 0; i < _parameters.Count; i++)
        {
            using var scope = NewDisposeScope();
            Parameter parameter = _parameters[i];
            Tensor? gradient = parameter.grad;
            if (gradient is null)
            {
                continue;
            }

            long t = ++Steps[i];
            if (_weightDecay != 0)
            {
                if (_decoupled)
                {
                    // AdamW: θ ← θ(1 − ηλ) before the Adam update.
                    parameter.TimesInPlace(1 - (LearningRate * _weightDecay));
                }
                else
                {
                    // Adam's L2 penalty: g ← g + λθ.
                    gradient = gradient.Plus(parameter, alpha: _weightDecay);
                }
            }

            // m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g².
            ExpAvg[i].TimesInPlace(_beta1).PlusInPlace(gradient, alpha: 1 - _beta1);
            ExpAvgSq[i].TimesInPlace(_beta2).AddProductInPlace(gradient, gradient, value: 1 - _beta2);

            // θ ← θ − η / (1 − β1^t) · m / (√v / √(1 − β2^t) + ε).
            double biasCorrection1 = 1 - Math.Pow(_beta1, t);
            double biasCorrection2 = 1 - Math.Pow(_beta2, t);
            Tensor denominator = ExpAvgSq[i].sqrt().OverInPlace(Math.Sqrt(biasCorrection2)).PlusInPlace(_epsilon);
            parameter.AddQuotientInPlace(ExpAvg[i], denominator, value: -LearningRate / biasCorrection1);
        }
    }

    public void Dispose()
    {
        foreach (Tensor moment in ExpAvg.Concat(ExpAvgSq))
        {
            moment.Dispose();
        }
    }
}
