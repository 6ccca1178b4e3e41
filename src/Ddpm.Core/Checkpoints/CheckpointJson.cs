using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ddpm.Core.Checkpoints;

/// <summary>The JSON conventions of checkpoint sections: camelCase, enums as names, doubles round-trip exactly.</summary>
internal static class CheckpointJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
