using static TorchSharp.torch;

namespace Ddpm.Core.Training;

/// <summary>
/// libtorch's process-wide CPU generator state, saved when a run starts and put back when it ends, so that
/// <c>Fit</c> leaves the caller's random stream as it found it. During the run the generator is the run's:
/// weight initialisation and dropout draw from it, seeded by the run (the run's own draws, timesteps, noise
/// and label dropout, use the run's private generator).
/// </summary>
internal sealed class GlobalGeneratorState : IDisposable
{
    private readonly Tensor _state;

    private GlobalGeneratorState(Tensor state) => _state = state;

    /// <summary>Saves the current state.</summary>
    public static GlobalGeneratorState Save() => new(get_rng_state());

    /// <summary>Restores the saved state.</summary>
    public void Dispose()
    {
        set_rng_state(_state);
        _state.Dispose();
    }
}
