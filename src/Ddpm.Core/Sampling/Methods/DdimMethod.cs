using static TorchSharp.torch;

namespace Ddpm.Core.Sampling.Methods;

/// <summary>
/// DDIM (Song et al. 2021, eq. 12): x_s = √ᾱ_s x̂_0 + √(1-ᾱ_s-σ²) ε̂ + σ z with
/// σ = η √((1-ᾱ_s)/(1-ᾱ_t)) √(1-ᾱ_t/ᾱ_s) (eq. 16), s the actual previous timestep. η = 0 is deterministic (the
/// probability-flow ODE's first-order solver); η = 1 is DDPM. One network call per step; the default is
/// <see cref="DefaultStepCount"/> steps.
/// </summary>
public sealed class DdimMethod : ISamplingMethod
{
    /// <summary>The number of steps when none is given (at most T): 50, as in Song et al. 2021's tables and diffusers' pipelines.</summary>
    public const int DefaultStepCount = 50;

    /// <summary>Creates the method.</summary>
    /// <param name="eta">η: the fraction of DDPM's posterior noise added each step. The default value is 0. Valid values: 0 to 1.</param>
    public DdimMethod(double eta = 0)
    {
        if (!(eta >= 0 && eta <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(eta), eta, "η must lie in [0, 1]: 0 is deterministic, 1 is DDPM's variance.");
        }

        Eta = eta;
    }

    /// <summary>Gets η.</summary>
    public double Eta { get; }

    /// <inheritdoc />
    public string Name => "ddim";

    /// <inheritdoc />
    public int DefaultSteps(int timesteps) => Math.Min(DefaultStepCount, timesteps);

    /// <inheritdoc />
    public ISamplingSolver CreateSolver(SolverContext context) => new Solver(this, context);

    private sealed class Solver(DdimMethod method, SolverContext context) : ISamplingSolver
    {
        public Tensor Step(SolverStep step)
        {
            double alphaBar = context.AlphaBar(step.Timestep);
            double alphaBarPrevious = context.AlphaBar(step.Previous);
            double sigma = method.Eta * Math.Sqrt((1 - alphaBarPrevious) / (1 - alphaBar)) * Math.Sqrt(1 - (alphaBar / alphaBarPrevious));
            Tensor next = step.PredictedStart.Times(Math.Sqrt(alphaBarPrevious)).Plus(step.PredictedNoise.Times(Math.Sqrt(Math.Max(0, 1 - alphaBarPrevious - (sigma * sigma)))));
            return sigma > 0 && step.Previous >= 0
                ? next.Plus(context.Noise(step.Sample.shape).Times(sigma))
                : next;
        }
    }
}
