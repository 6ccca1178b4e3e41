namespace Ddpm.Core.Sampling.Methods;

/// <summary>
/// A reverse-process method, as diffusers gives each scheduler its own <c>step</c>: DDPM, DDIM, DPM-Solver++(2M),
/// Euler, Euler ancestral, Heun, or one of your own. <see cref="DdpmSampler"/> keeps the loop (batches, guidance,
/// prediction-type conversion, x̂_0 bounding, clamping, progress, cancellation, a dispose scope per step) and asks
/// the method for a solver per batch, which turns the model's prediction at (x_t, t) into x at the next timestep
/// of the list.
/// </summary>
public interface ISamplingMethod
{
    /// <summary>Gets a short name for logs, for example <c>dpm++2m</c>.</summary>
    string Name { get; }

    /// <summary>The number of steps S when <see cref="DdpmSamplerOptions.Steps"/> is null.</summary>
    /// <param name="timesteps">The model's T.</param>
    /// <returns>A value in [1, T].</returns>
    int DefaultSteps(int timesteps);

    /// <summary>Starts a solver for one batch; it may keep history (multistep methods) until the batch ends.</summary>
    /// <param name="context">The timesteps, the schedule's terms, the denoiser (for methods that evaluate the model more than once per step) and the noise source.</param>
    /// <returns>A new solver.</returns>
    ISamplingSolver CreateSolver(SolverContext context);
}
