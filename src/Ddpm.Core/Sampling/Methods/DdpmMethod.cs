using Ddpm.Core.Diffusion;
using static TorchSharp.torch;

namespace Ddpm.Core.Sampling.Methods;

/// <summary>
/// Ancestral sampling (Ho et al. 2020, Algorithm 2). From t to the actual previous timestep s of the list:
/// x_s ~ N(μ, σ²I) with β' = 1 - ᾱ_t/ᾱ_s, μ = √ᾱ_s β'/(1-ᾱ_t) x̂_0 + √(1-β') (1-ᾱ_s)/(1-ᾱ_t) x_t (eq. 7 with ᾱ_s
/// for ᾱ_{t-1}), σ² = (1-ᾱ_s)/(1-ᾱ_t) β' (<see cref="VarianceType.FixedSmall"/>) or β' (<see cref="VarianceType.FixedLarge"/>),
/// and the mean alone at the last step. With all T steps, an ε-model and no bounding of x̂_0, it is the notebook's
/// arithmetic, eq. 11. One network call per step; the default is all T steps.
/// </summary>
public sealed class DdpmMethod : ISamplingMethod
{
    /// <summary>Creates the method.</summary>
    /// <param name="variance">The variance of each step; the default value is <see cref="VarianceType.FixedSmall"/> (the notebook).</param>
    public DdpmMethod(VarianceType variance = VarianceType.FixedSmall)
    {
        if (!Enum.IsDefined(variance))
        {
            throw new ArgumentOutOfRangeException(nameof(variance), variance, "Use FixedSmall or FixedLarge.");
        }

        Variance = variance;
    }

    /// <summary>Gets the variance of each step.</summary>
    public VarianceType Variance { get; }

    /// <inheritdoc />
    public string Name => "ddpm";

    /// <inheritdoc />
    public int DefaultSteps(int timesteps) => timesteps;

    /// <inheritdoc />
    public ISamplingSolver CreateSolver(SolverContext context) => new Solver(this, context);

    private sealed class Solver(DdpmMethod method, SolverContext context) : ISamplingSolver
    {
        public Tensor Step(SolverStep step)
        {
            NoiseScheduler scheduler = context.Scheduler;
            Tensor x = step.Sample;
            int t = step.Timestep;
            if (context.Prediction == PredictionType.Epsilon && step.Previous == t - 1 && method.Variance == VarianceType.FixedSmall && !step.Bounded)
            {
                // μ_θ(x_t, t) = 1/√α_t (x_t - β_t/√(1-ᾱ_t) ε_θ) (eq. 11), then + σ_t z with σ_t² = β̃_t (§3.2).
                Tensor timestep = TensorScalars.Full([x.shape[0]], t, ScalarType.Int64, x.device);
                Tensor mean = scheduler.PredictPreviousMeanCore(x, timestep, step.PredictedNoise);
                return t > 0 ? mean.Plus(scheduler.PosteriorVariance[t].sqrt() * context.Noise(x.shape)) : mean;
            }

            double alphaBar = context.AlphaBar(t);
            double alphaBarPrevious = context.AlphaBar(step.Previous);
            double beta = 1 - (alphaBar / alphaBarPrevious);
            double startCoefficient = Math.Sqrt(alphaBarPrevious) * beta / (1 - alphaBar);
            double sampleCoefficient = Math.Sqrt(1 - beta) * (1 - alphaBarPrevious) / (1 - alphaBar);
            Tensor posteriorMean = step.PredictedStart.Times(startCoefficient).Plus(x.Times(sampleCoefficient));
            if (step.Previous < 0)
            {
                return posteriorMean;
            }

            double variance = method.Variance == VarianceType.FixedLarge ? beta : (1 - alphaBarPrevious) / (1 - alphaBar) * beta;
            return posteriorMean.Plus(context.Noise(x.shape).Times(Math.Sqrt(variance)));
        }
    }
}
