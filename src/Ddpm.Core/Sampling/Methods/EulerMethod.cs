using static TorchSharp.torch;

namespace Ddpm.Core.Sampling.Methods;

/// <summary>
/// Euler's method on the probability-flow ODE in the σ parameterisation (Karras et al. 2022, Algorithm 1; k-diffusion's
/// <c>sample_euler</c>): with x̃ = x_t/√ᾱ_t and σ_t = √((1-ᾱ_t)/ᾱ_t), d = (x̃ - x̂_0)/σ_t and
/// x̃_s = x̃ + d (σ_s - σ_t), then x_s = √ᾱ_s x̃_s. Since x̃ = x̂_0 + σ_t ε̂, the slope d is ε̂ and the step is
/// x̃_s = x̂_0 + σ_s ε̂, which is how it is computed: finite also from a pure-noise step (ᾱ_t = 0, σ_t = ∞).
/// Deterministic, first order; in exact arithmetic the same as DDIM with η = 0. One network call per step; the
/// default is 30 steps.
/// </summary>
public sealed class EulerMethod : ISamplingMethod
{
    /// <inheritdoc />
    public string Name => "euler";

    /// <inheritdoc />
    public int DefaultSteps(int timesteps) => Math.Min(30, timesteps);

    /// <inheritdoc />
    public ISamplingSolver CreateSolver(SolverContext context) => new Solver(context);

    private sealed class Solver(SolverContext context) : ISamplingSolver
    {
        public Tensor Step(SolverStep step)
        {
            // x̃_s = x̃ + d (σ_s - σ_t) with x̃ = x̂_0 + σ_t ε̂ and d = ε̂.
            double next = context.Sigma(step.Previous);
            return step.PredictedStart.Plus(step.PredictedNoise.Times(next)).Times(Math.Sqrt(context.AlphaBar(step.Previous)));
        }
    }
}
