using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Ddpm.Core.DependencyInjection;

/// <summary>
/// Checks that every key under an options section names a property the binder can set, so that a
/// misspelling (<c>"BatchSzie"</c>, <c>"Epoch"</c>) is an error naming the key and the nearest valid one
/// instead of a value silently ignored. Nested option objects (<c>Ema</c>, <c>PreviewSampling</c>) are
/// checked too; properties of interface type (the network, the schedule) are set in code, not bound.
/// </summary>
internal static class ConfigurationKeys
{
    /// <summary>Throws when <paramref name="section"/> holds keys <paramref name="type"/> does not have.</summary>
    /// <exception cref="OptionsValidationException">One failure per unknown key.</exception>
    public static void Check(IConfigurationSection section, Type type)
    {
        var failures = new List<string>();
        Collect(section, type, failures);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(type.Name, type, failures);
        }
    }

    private static void Collect(IConfigurationSection section, Type type, List<string> failures)
    {
        Dictionary<string, PropertyInfo> properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod?.IsPublic == true || IsNestedOptions(p.PropertyType))
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (!properties.TryGetValue(child.Key, out PropertyInfo? property))
            {
                string? nearest = Nearest(child.Key, properties.Keys);
                failures.Add($"{child.Path} is not an option of {type.Name}{(nearest is null ? "." : $"; did you mean {nearest}?")} Its options: {string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))}.");
            }
            else if (property.PropertyType.IsInterface && !typeof(IEnumerable).IsAssignableFrom(property.PropertyType))
            {
                failures.Add($"{child.Path} is an object ({property.PropertyType.Name}) that configuration cannot build; set {type.Name}.{property.Name} in code, in the configure callback of AddDdpm.");
            }
            else if (IsNestedOptions(property.PropertyType))
            {
                Collect(child, property.PropertyType, failures);
            }
        }
    }

    /// <summary>An options class the binder fills property by property (EmaOptions, DdpmSamplerOptions).</summary>
    private static bool IsNestedOptions(Type type) =>
        type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type) && type.Namespace?.StartsWith("Ddpm.Core", StringComparison.Ordinal) == true;

    /// <summary>The candidate within a small edit distance of <paramref name="key"/> (case-insensitive), or null.</summary>
    private static string? Nearest(string key, IEnumerable<string> candidates)
    {
        (string Name, int Distance) best = candidates
            .Select(c => (Name: c, Distance: Distance(key.ToLowerInvariant(), c.ToLowerInvariant())))
            .OrderBy(c => c.Distance)
            .FirstOrDefault();
        return best.Name is not null && best.Distance <= Math.Max(2, key.Length / 3) ? best.Name : null;
    }

    /// <summary>Levenshtein distance, with an adjacent swap counting as one edit.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
