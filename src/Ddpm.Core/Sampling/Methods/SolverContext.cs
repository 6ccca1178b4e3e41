using Ddpm.Core.Diffusion;
using static TorchSharp.torch;

namespace Ddpm.Core.Sampling.Methods;

/// <summary>What a solver may use for one batch: the schedule, the timesteps it will visit, the model and the noise.</summary>
public sealed class SolverContext
{
    private readonly Func<Tensor, int, (Tensor Start, Tensor Noise)> _denoise;
    private readonly Func<long[], Tensor> _noise;

    /// <summary>Creates the context.</summary>
    /// <param name="scheduler">The model's noise scheduler.</param>
    /// <param name="prediction">What the model predicts.</param>
    /// <param name="timesteps">The timesteps of the run, noisiest first.</param>
    /// <param name="denoise">Runs the model at (x, t) and returns x̂_0 and ε̂ as the sampler does for each step (guidance, conversion, bounding).</param>
    /// <param name="noise">Draws standard normal noise of a shape from the run's generator.</param>
    public SolverContext(NoiseScheduler scheduler, PredictionType prediction, IReadOnlyList<int> timesteps, Func<Tensor, int, (Tensor Start, Tensor Noise)> denoise, Func<long[], Tensor> noise)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(timesteps);
        ArgumentNullException.ThrowIfNull(denoise);
        ArgumentNullException.ThrowIfNull(noise);
        Scheduler = scheduler;
        Prediction = prediction;
        Timesteps = timesteps;
        _denoise = denoise;
        _noise = noise;
    }

    /// <summary>Gets the model's noise scheduler.</summary>
    public NoiseScheduler Scheduler { get; }

    /// <summary>Gets what the model predicts.</summary>
    public PredictionType Prediction { get; }

    /// <summary>Gets the timesteps of the run, noisiest first.</summary>
    public IReadOnlyList<int> Timesteps { get; }

    /// <summary>ᾱ_t in double precision; 1 for t = -1 (the clean image).</summary>
    /// <param name="t">A timestep in [0, T), or -1.</param>
    /// <returns>ᾱ_t.</returns>
    public double AlphaBar(int t) => t < 0 ? 1 : Scheduler.AlphasCumprodValues[t];

    /// <summary>σ_t = √((1-ᾱ_t)/ᾱ_t), the noise level of x_t/√ᾱ_t (Karras et al. 2022); 0 for t = -1.</summary>
    /// <param name="t">A timestep in [0, T), or -1.</param>
    /// <returns>σ_t.</returns>
    public double Sigma(int t) => Math.Sqrt((1 - AlphaBar(t)) / AlphaBar(t));

    /// <summary>Runs the model at (x, t) and returns x̂_0 and ε̂, as the sampler does at every step; for methods that evaluate the model again within a step (Heun).</summary>
    /// <param name="x">The sample.</param>
    /// <param name="t">Its timestep.</param>
    /// <returns>x̂_0 and ε̂, in the current dispose scope.</returns>
    public (Tensor Start, Tensor Noise) Denoise(Tensor x, int t) => _denoise(x, t);

    /// <summary>Draws standard normal noise from the run's generator.</summary>
    /// <param name="shape">The shape.</param>
    /// <returns>The noise, in the current dispose scope.</returns>
    public Tensor Noise(long[] shape) => _noise(shape);
}
