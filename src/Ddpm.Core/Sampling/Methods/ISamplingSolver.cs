using static TorchSharp.torch;

namespace Ddpm.Core.Sampling.Methods;

/// <summary>One batch's reverse process: called once per timestep of the list, noisiest first.</summary>
public interface ISamplingSolver
{
    /// <summary>
    /// Takes x from <see cref="SolverStep.Timestep"/> to <see cref="SolverStep.Previous"/> (-1: the final x_0).
    /// Runs inside the step's dispose scope: return a new tensor; tensors kept for later steps must be detached
    /// from the scope (<c>DetachFromDisposeScope</c>) and disposed by the solver.
    /// </summary>
    /// <param name="step">The step: x_t and the model's x̂_0 and ε̂ at it.</param>
    /// <returns>x at the previous timestep.</returns>
    Tensor Step(SolverStep step);
}
