using static TorchSharp.torch;

namespace Ddpm.Core.Sampling.Methods;

/// <summary>What a solver gets at one step.</summary>
/// <param name="Index">The step's position in the timestep list (0 for the noisiest).</param>
/// <param name="Timestep">The timestep t of x_t.</param>
/// <param name="Previous">The timestep the step goes to, or -1 for the final x_0 (ᾱ = 1).</param>
/// <param name="Sample">x_t.</param>
/// <param name="PredictedStart">x̂_0 from the model's output (bounded when the options clip or threshold it).</param>
/// <param name="PredictedNoise">ε̂, consistent with <paramref name="PredictedStart"/>: x_t = √ᾱ_t x̂_0 + √(1-ᾱ_t) ε̂.</param>
/// <param name="Bounded">Whether x̂_0 was clipped or thresholded (ε̂ was then recomputed from it).</param>
public readonly record struct SolverStep(int Index, int Timestep, int Previous, Tensor Sample, Tensor PredictedStart, Tensor PredictedNoise, bool Bounded);
