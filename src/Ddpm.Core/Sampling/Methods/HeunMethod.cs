using static TorchSharp.torch;

namespace Ddpm.Core.Sampling.Methods;

/// <summary>
/// Heun's second-order method on the probability-flow ODE (Karras et al. 2022, Algorithm 1 without churn; k-diffusion's
/// <c>sample_heun</c>): in the σ parameterisation x̃ = x_t/√ᾱ_t, an Euler step to σ_s, the model evaluated there,
/// and the step taken again with the mean of the two slopes; the last step, to σ = 0, and a step from a pure-noise
/// timestep (ᾱ_t = 0, σ_t = ∞) are plain Euler steps. The slope at x_t is ε̂ (x̃ = x̂_0 + σ_t ε̂).
/// Two network calls per step (one on the last); the default is 20 steps.
/// </summary>
public sealed class HeunMethod : ISamplingMethod
{
    /// <inheritdoc />
    public string Name => "heun";

    /// <inheritdoc />
    public int DefaultSteps(int timesteps) => Math.Min(20, timesteps);

    /// <inheritdoc />
    public ISamplingSolver CreateSolver(SolverContext context) => new Solver(context);

    private sealed class Solver(SolverContext context) : ISamplingSolver
    {
        public Tensor Step(SolverStep step)
        {
            double next = context.Sigma(step.Previous);
            double scaleNext = Math.Sqrt(context.AlphaBar(step.Previous));
            Tensor euler = step.PredictedStart.Plus(step.PredictedNoise.Times(next));
            if (step.Previous < 0 || context.AlphaBar(step.Timestep) == 0)
            {
                return euler.Times(scaleNext);
            }

            // The slope at the Euler estimate, from the model at the next timestep: ε̂ there.
            double sigma = context.Sigma(step.Timestep);
            (_, Tensor slopeNext) = context.Denoise(euler.Times(scaleNext), step.Previous);
            Tensor scaled = step.Sample.Over(Math.Sqrt(context.AlphaBar(step.Timestep)));
            return scaled.Plus(step.PredictedNoise.Plus(slopeNext).Over(2).Times(next - sigma)).Times(scaleNext);
        }
    }
}
