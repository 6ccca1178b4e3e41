using static TorchSharp.torch;

namespace Ddpm.Core.Sampling.Methods;

/// <summary>
/// DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2), the multistep second-order solver of the probability-flow ODE in
/// data prediction, as diffusers' <c>DPMSolverMultistepScheduler</c>: with α_t = √ᾱ_t, σ_t = √(1-ᾱ_t),
/// λ_t = ln(α_t/σ_t) and h = λ_s - λ_t, x_s = (σ_s/σ_t) x_t - α_s (e^{-h} - 1) D, where D is x̂_0 at t for the first step,
/// and (1 + 1/(2r)) x̂_0(t) - 1/(2r) x̂_0(t_prev) with r = h_prev/h afterwards. The last step, to σ = 0, is first order
/// (it returns x̂_0); with <see cref="LowerOrderFinal"/> and fewer than 15 steps the one before it is too, which
/// steadies few-step sampling. Any prediction type works through x̂_0, and clipping or thresholding of x̂_0 applies to
/// D, as in the paper. One network call per step; the default is 20 steps.
/// </summary>
public sealed class DpmSolverPlusPlus2MMethod : ISamplingMethod
{
    /// <summary>Creates the method.</summary>
    /// <param name="lowerOrderFinal">Whether the second-to-last step is first order when there are fewer than 15 steps (diffusers' <c>lower_order_final</c>). The default value is true.</param>
    public DpmSolverPlusPlus2MMethod(bool lowerOrderFinal = true) => LowerOrderFinal = lowerOrderFinal;

    /// <summary>Gets whether the second-to-last step is first order with fewer than 15 steps.</summary>
    public bool LowerOrderFinal { get; }

    /// <inheritdoc />
    public string Name => "dpm++2m";

    /// <inheritdoc />
    public int DefaultSteps(int timesteps) => Math.Min(20, timesteps);

    /// <inheritdoc />
    public ISamplingSolver CreateSolver(SolverContext context) => new Solver(this, context);

    private sealed class Solver(DpmSolverPlusPlus2MMethod method, SolverContext context) : ISamplingSolver, IDisposable
    {
        private Tensor? _previousStart;

        public Tensor Step(SolverStep step)
        {
            if (step.Previous < 0)
            {
                // σ_s = 0: the first-order update x_s = α_s x̂_0 with α_s = 1.
                return step.PredictedStart.clone();
            }

            double lambda = Lambda(step.Timestep);
            double h = Lambda(step.Previous) - lambda;
            int count = context.Timesteps.Count;
            bool firstOrder = _previousStart is null || (method.LowerOrderFinal && count < 15 && step.Index == count - 2);
            Tensor data = step.PredictedStart;
            if (!firstOrder)
            {
                double r = (lambda - Lambda(context.Timesteps[step.Index - 1])) / h;
                data = step.PredictedStart.Times(1 + (1 / (2 * r))) - _previousStart!.Times(1 / (2 * r));
            }

            double sigmaRatio = Math.Sqrt((1 - context.AlphaBar(step.Previous)) / (1 - context.AlphaBar(step.Timestep)));
            Tensor next = step.Sample.Times(sigmaRatio) - data.Times(Math.Sqrt(context.AlphaBar(step.Previous)) * (Math.Exp(-h) - 1));
            _previousStart?.Dispose();
            _previousStart = step.PredictedStart.detach().clone().DetachFromDisposeScope();
            return next;
        }

        public void Dispose() => _previousStart?.Dispose();

        /// <summary>λ_t = ln(α_t/σ_t) = ½ ln(ᾱ_t/(1-ᾱ_t)).</summary>
        private double Lambda(int t) => 0.5 * Math.Log(context.AlphaBar(t) / (1 - context.AlphaBar(t)));
    }
}
