using System.Globalization;
using Ddpm.Core.Sampling;

namespace Ddpm.Web;

/// <summary>The query of <c>GET /sample</c>, checked: every bad value gets a message that names it and its valid range.</summary>
/// <param name="Seed">The seed; the same seed gives the same PNG.</param>
/// <param name="Count">How many images, 1 to <see cref="MaxCount"/>.</param>
/// <param name="Method">The sampling method; null follows the model.</param>
public sealed record SampleRequest(int Seed, int Count, SamplingMethod? Method)
{
    /// <summary>The most images one request may ask for.</summary>
    public const int MaxCount = 64;

    /// <summary>Reads the query values; returns the request, or the message to answer 400 with.</summary>
    /// <param name="seed">The <c>seed</c> value: a whole number from 0 to 2147483647.</param>
    /// <param name="count">The <c>count</c> value: 1 to <see cref="MaxCount"/>; absent means 4.</param>
    /// <param name="sampler">The <c>sampler</c> value: a method name (ddpm, ddim, dpm++2m, euler, euler-a, heun); absent follows the model.</param>
    /// <returns>The request, or null and the error.</returns>
    public static (SampleRequest? Request, string? Error) Parse(string? seed, string? count, string? sampler)
    {
        if (seed is null || !int.TryParse(seed, NumberStyles.None, CultureInfo.InvariantCulture, out int s))
        {
            return (null, $"seed is '{seed}'; give a whole number from 0 to {int.MaxValue}, for example /sample?seed=1.");
        }

        int n = 4;
        if (count is not null && (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n < 1 || n > MaxCount))
        {
            return (null, $"count is '{count}'; give a whole number from 1 to {MaxCount}.");
        }

        SamplingMethod? method = null;
        if (sampler is not null)
        {
            if (!SamplingMethods.ByName.TryGetValue(sampler, out SamplingMethod named))
            {
                return (null, $"sampler is '{sampler}'; use one of {string.Join(", ", SamplingMethods.ByName.Keys)}, or leave it out to follow the model.");
            }

            method = named;
        }

        return (new SampleRequest(s, n, method), null);
    }
}
