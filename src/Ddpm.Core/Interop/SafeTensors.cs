using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Ddpm.Core.Interop;

/// <summary>
/// Reads and writes the safetensors format (Hugging Face): an 8-byte little-endian header length, a
/// JSON header naming each tensor's dtype, shape and byte range, then the raw little-endian data.
/// Reading checks every length and range against the file before allocating, and never executes
/// anything from the file.
/// </summary>
public static class SafeTensors
{
    /// <summary>The largest header accepted, 100 MB, as the reference implementation.</summary>
    public const int MaxHeaderBytes = 100_000_000;

    private static readonly (string Name, ScalarType Type, int Size)[] DataTypes =
    [
        ("F32", ScalarType.Float32, 4), ("F64", ScalarType.Float64, 8), ("F16", ScalarType.Float16, 2), ("BF16", ScalarType.BFloat16, 2),
        ("I64", ScalarType.Int64, 8), ("I32", ScalarType.Int32, 4), ("I16", ScalarType.Int16, 2), ("I8", ScalarType.Int8, 1),
        ("U8", ScalarType.Byte, 1), ("BOOL", ScalarType.Bool, 1),
    ];

    /// <summary>Reads every tensor of a safetensors file onto the CPU; disposing the result frees them.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The tensors by name, in the file's order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not safetensors, or is truncated or inconsistent; the message says where.</exception>
    public static StateDict Read(string path) => Read(path, out _);

    /// <summary>Reads every tensor of a safetensors file onto the CPU, and its <c>__metadata__</c> strings.</summary>
    /// <param name="path">The file.</param>
    /// <param name="metadata">The header's <c>__metadata__</c> (empty when it has none).</param>
    /// <returns>The tensors by name, in the file's order; disposing it frees them.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not safetensors, or is truncated or inconsistent; the message says where.</exception>
    public static StateDict Read(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The safetensors file '{path}' does not exist.", path);
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(file, path, out metadata);
    }

    /// <summary>Reads every tensor of a safetensors stream (a file, an embedded resource) onto the CPU, and its <c>__metadata__</c> strings.</summary>
    /// <param name="stream">A readable, seekable stream positioned at the start of the safetensors data; it is left open.</param>
    /// <param name="name">What the stream is, for error messages (a file name or resource name).</param>
    /// <param name="metadata">The header's <c>__metadata__</c> (empty when it has none).</param>
    /// <returns>The tensors by name, in the stream's order; disposing it frees them.</returns>
    /// <exception cref="ArgumentException">The stream cannot be read or cannot seek.</exception>
    /// <exception cref="InvalidDataException">The data is not safetensors, or is truncated or inconsistent; the message says where.</exception>
    public static StateDict Read(Stream stream, string name, out IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!stream.CanRead || !stream.CanSeek)
        {
            throw new ArgumentException($"Reading safetensors from '{name}' needs a readable, seekable stream; copy it into a MemoryStream first.", nameof(stream));
        }

        long origin = stream.Position;
        long length = stream.Length - origin;
        Span<byte> prefix = stackalloc byte[8];
        if (length < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
        {
            throw Fail(name, "it is shorter than the 8-byte header length");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength < 2 || headerLength > MaxHeaderBytes || (long)headerLength > length - 8)
        {
            throw Fail(name, $"its header length, {headerLength} bytes, does not fit a {length}-byte stream (a safetensors stream starts with the length of its JSON header)");
        }

        byte[] header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        long dataLength = length - dataStart;
        var entries = ParseHeader(name, header, dataLength, out metadata);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach ((string tensorName, ScalarType type, long[] shape, long begin, long end) in entries)
            {
                Tensor tensor = empty(shape, dtype: type);
                tensors[tensorName] = tensor;
                if (end > begin)
                {
                    stream.Position = origin + dataStart + begin;
                    stream.ReadExactly(tensor.bytes);
                }
            }

            return new StateDict(tensors);
        }
        catch
        {
            foreach (Tensor tensor in tensors.Values)
            {
                tensor.Dispose();
            }

            throw;
        }
    }

    /// <summary>Writes tensors (moved to the CPU, made contiguous) as a safetensors file, replacing any file at <paramref name="path"/>.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensors">The tensors by name; names must be unique.</param>
    /// <param name="metadata">Strings stored under <c>__metadata__</c>; null stores none.</param>
    /// <exception cref="ArgumentException">A name repeats, or a tensor's dtype has no safetensors name.</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(tensors);
        using var scope = NewDisposeScope();
        var prepared = new List<(string Name, Tensor Tensor, string Type)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string name, Tensor tensor) in tensors)
        {
            if (name == "__metadata__" || !names.Add(name))
            {
                throw new ArgumentException($"The tensor name '{name}' is used twice or reserved; safetensors needs unique names other than __metadata__.", nameof(tensors));
            }

            string type = DataTypes.FirstOrDefault(d => d.Type == tensor.dtype).Name
                ?? throw new ArgumentException($"The tensor '{name}' has dtype {tensor.dtype}, which safetensors cannot store.", nameof(tensors));
            prepared.Add((name, tensor.detach().cpu().contiguous(), type));
        }

        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach ((string key, string value) in metadata)
            {
                meta[key] = value;
            }

            header["__metadata__"] = meta;
        }

        long offset = 0;
        foreach ((string name, Tensor tensor, string type) in prepared)
        {
            long length = tensor.NumberOfElements * tensor.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = type,
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + length),
            };
            offset += length;
        }

        // The header is padded with spaces to a multiple of 8 bytes, so the data starts aligned.
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        file.Write(prefix);
        file.Write(json);
        for (int i = json.Length; i < padded; i++)
        {
            file.WriteByte((byte)' ');
        }

        foreach ((_, Tensor tensor, _) in prepared)
        {
            if (tensor.NumberOfElements > 0)
            {
                file.Write(tensor.bytes);
            }
        }
    }

    private static List<(string Name, ScalarType Type, long[] Shape, long Begin, long End)> ParseHeader(string path, byte[] header, long dataLength, out IReadOnlyDictionary<string, string> metadata)
    {
        var entries = new List<(string, ScalarType, long[], long, long)>();
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        metadata = meta;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw Fail(path, $"its header is not valid JSON ({e.Message})");
        }

        using (document)
        {
            try
            {
                ReadEntries(path, document, dataLength, entries, meta);
            }
            catch (InvalidOperationException e)
            {
                // JsonDocument checks UTF-8 only when a string is read.
                throw Fail(path, $"its header holds invalid text ({e.Message})");
            }
        }

        if (entries.Select(e => e.Item1).Distinct(StringComparer.Ordinal).Count() != entries.Count)
        {
            throw Fail(path, "a tensor name appears twice");
        }

        return entries;
    }

    private static void ReadEntries(string path, JsonDocument document, long dataLength, List<(string, ScalarType, long[], long, long)> entries, Dictionary<string, string> meta)
    {
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw Fail(path, "its header is not a JSON object");
        }

        foreach (JsonProperty entry in document.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                if (entry.Value.ValueKind != JsonValueKind.Object)
                {
                    throw Fail(path, "its __metadata__ is not an object of strings");
                }

                foreach (JsonProperty item in entry.Value.EnumerateObject())
                {
                    meta[item.Name] = item.Value.ValueKind == JsonValueKind.String ? item.Value.GetString()! : throw Fail(path, $"its __metadata__ value '{item.Name}' is not a string");
                }

                continue;
            }

            entries.Add(Entry(path, entry, dataLength));
        }
    }

    private static (string, ScalarType, long[], long, long) Entry(string path, JsonProperty entry, long dataLength)
    {
        string name = entry.Name;
        try
        {
            JsonElement value = entry.Value;
            string dtype = value.GetProperty("dtype").GetString() ?? string.Empty;
            (string Name, ScalarType Type, int Size) type = DataTypes.FirstOrDefault(d => d.Name == dtype);
            if (type.Name is null)
            {
                throw Fail(path, $"tensor '{name}' has the dtype '{dtype}', which this reader does not know ({string.Join(", ", DataTypes.Select(d => d.Name))})");
            }

            long[] shape = value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            long[] offsets = value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            long elements = 1;
            foreach (long d in shape)
            {
                if (d < 0 || d > int.MaxValue || (d > 0 && elements > int.MaxValue / d))
                {
                    throw Fail(path, $"tensor '{name}' has the shape [{string.Join(", ", shape)}], which is negative or too large");
                }

                elements *= d;
            }

            if (shape.Length > 8 || offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength || offsets[1] - offsets[0] != elements * type.Size)
            {
                throw Fail(path, $"tensor '{name}' claims bytes [{string.Join(", ", offsets)}] for {elements} elements of {dtype}, which do not fit its shape or the file's {dataLength} data bytes; the file is truncated or corrupt");
            }

            return (name, type.Type, shape, offsets[0], offsets[1]);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Fail(path, $"tensor '{name}' lacks a proper dtype, shape or data_offsets ({e.Message})");
        }
    }

    private static InvalidDataException Fail(string path, string reason) =>
        new($"'{path}' is not a readable safetensors file: {reason}.");
}
