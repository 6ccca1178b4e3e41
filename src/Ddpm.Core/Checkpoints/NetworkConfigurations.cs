using System.Text.Json;
using System.Text.Json.Nodes;
using Ddpm.Core.Models;

namespace Ddpm.Core.Checkpoints;

/// <summary>Turns network configurations into checkpoint JSON and back, for the architectures the library knows.</summary>
internal static class NetworkConfigurations
{
    private static readonly Dictionary<string, Type> Known = new(StringComparer.Ordinal)
    {
        ["simple-unet"] = typeof(SimpleUNetConfiguration),
        ["unet"] = typeof(UNetConfiguration),
    };

    public static JsonNode? ToJson(INetworkConfiguration configuration) =>
        JsonSerializer.SerializeToNode(configuration, configuration.GetType(), CheckpointJson.Options);

    /// <summary>Rebuilds a configuration of a known architecture; null for an architecture the library does not know.</summary>
    public static INetworkConfiguration? FromJson(string architecture, JsonNode? json, string path)
    {
        if (!Known.TryGetValue(architecture, out Type? type) || json is null)
        {
            return null;
        }

        try
        {
            return (INetworkConfiguration?)json.Deserialize(type, CheckpointJson.Options)
                ?? throw new CheckpointFormatException(path, $"the {architecture} configuration is null.");
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, $"the {architecture} configuration cannot be read ({e.Message}).", e);
        }
    }

    /// <summary>True when two configurations describe the same network (same architecture and settings).</summary>
    public static bool Same(INetworkConfiguration a, INetworkConfiguration b) =>
        a.Architecture == b.Architecture && JsonNode.DeepEquals(ToJson(a), ToJson(b));
}
