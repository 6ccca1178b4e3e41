namespace Ddpm.Core.Schedules;

/// <summary>
/// A schedule given by its betas, for example read back from a checkpoint. It returns exactly the
/// stored values, and only for T equal to their count.
/// </summary>
public sealed class CustomBetaSchedule : IBetaSchedule
{
    private readonly double[] _betas;

    /// <summary>Creates the schedule.</summary>
    /// <param name="betas">β for t = 0..T-1; at least one, each in (0, 1].</param>
    /// <param name="name">The name reported by <see cref="Name"/>; the default value is <c>custom</c>.</param>
    /// <exception cref="ArgumentException">The list is empty or holds a value outside (0, 1].</exception>
    public CustomBetaSchedule(IReadOnlyList<double> betas, string name = "custom")
    {
        ArgumentNullException.ThrowIfNull(betas);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (betas.Count == 0)
        {
            throw new ArgumentException("A custom schedule needs at least one beta.", nameof(betas));
        }

        for (int i = 0; i < betas.Count; i++)
        {
            if (!(betas[i] > 0 && betas[i] <= 1))
            {
                throw new ArgumentException($"betas[{i}] is {betas[i]}; every beta must lie in (0, 1].", nameof(betas));
            }
        }

        _betas = [.. betas];
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Gets the number of steps T the schedule is defined for.</summary>
    public int Timesteps => _betas.Length;

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timesteps"/> differs from <see cref="Timesteps"/>.</exception>
    public double[] GetBetas(int timesteps)
    {
        if (timesteps != _betas.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(timesteps), timesteps, $"This custom schedule '{Name}' is defined for T = {_betas.Length} only.");
        }

        return [.. _betas];
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} (custom, T = {_betas.Length})";
}
