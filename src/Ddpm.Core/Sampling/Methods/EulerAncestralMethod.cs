using static TorchSharp.torch;

namespace Ddpm.Core.Sampling.Methods;

/// <summary>
/// Euler ancestral (k-diffusion's <c>sample_euler_ancestral</c>): each step goes down to
/// σ_down = √(σ_s² - σ_up²) with Euler's method and adds noise σ_up z, where
/// σ_up = min(σ_s, η √(σ_s² (σ_t² - σ_s²) / σ_t²)), in the σ parameterisation x̃ = x_t/√ᾱ_t,
/// σ_t = √((1-ᾱ_t)/ᾱ_t); then x_s = √ᾱ_s x̃_s. With x̃ = x̂_0 + σ_t ε̂ and slope ε̂ this is
/// x̃_s = x̂_0 + σ_down ε̂ + σ_up z, finite also from a pure-noise step. Stochastic; one network call per step;
/// the default is 30 steps.
/// </summary>
public sealed class EulerAncestralMethod : ISamplingMethod
{
    /// <summary>Creates the method.</summary>
    /// <param name="eta">η: how much of each step's noise is renewed. The default value is 1. Valid values: 0 (Euler) to 1.</param>
    public EulerAncestralMethod(double eta = 1)
    {
        if (!(eta >= 0 && eta <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(eta), eta, "η must lie in [0, 1].");
        }

        Eta = eta;
    }

    /// <summary>Gets η.</summary>
    public double Eta { get; }

    /// <inheritdoc />
    public string Name => "euler-a";

    /// <inheritdoc />
    public int DefaultSteps(int timesteps) => Math.Min(30, timesteps);

    /// <inheritdoc />
    public ISamplingSolver CreateSolver(SolverContext context) => new Solver(this, context);

    private sealed class Solver(EulerAncestralMethod method, SolverContext context) : ISamplingSolver
    {
        public Tensor Step(SolverStep step)
        {
            double next = context.Sigma(step.Previous);

            // σ_s²/σ_t², written so that it is 0 rather than ∞/∞ where ᾱ_t = 0.
            double ratio = context.AlphaBar(step.Timestep) / (1 - context.AlphaBar(step.Timestep)) * (1 - context.AlphaBar(step.Previous)) / context.AlphaBar(step.Previous);
            double up = step.Previous < 0 ? 0 : Math.Min(next, method.Eta * next * Math.Sqrt(Math.Max(0, 1 - ratio)));
            double down = Math.Sqrt(Math.Max(0, (next * next) - (up * up)));
            Tensor moved = step.PredictedStart.Plus(step.PredictedNoise.Times(down));
            if (up > 0)
            {
                moved = moved.Plus(context.Noise(step.Sample.shape).Times(up));
            }

            return moved.Times(Math.Sqrt(context.AlphaBar(step.Previous)));
        }
    }
}
