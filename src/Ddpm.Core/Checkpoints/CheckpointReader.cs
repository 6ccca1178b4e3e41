using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Ddpm.Core.Checkpoints;

/// <summary>
/// Reads a checkpoint without trusting it: the structure is checked when the file is opened (magic,
/// version, section lengths chaining exactly to the end marker), each section's CRC when it is read,
/// and every tensor's declared size against the bytes that remain before anything is allocated.
/// Nothing in the file is executed.
/// </summary>
internal sealed class CheckpointReader : IDisposable
{
    private const long MaxJsonBytes = 64L << 20;
    private readonly Stream _stream;
    private readonly Dictionary<string, (SectionKind Kind, long Offset, long Length, uint Crc)> _sections = new(StringComparer.Ordinal);

    private CheckpointReader(string path, Stream stream)
    {
        Path = path;
        _stream = stream;
    }

    public string Path { get; }

    public int FormatVersion { get; private set; }

    public IReadOnlyCollection<string> SectionNames => _sections.Keys;

    public static CheckpointReader Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The checkpoint '{path}' does not exist.", path);
        }

        return Open(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20), path);
    }

    /// <summary>Reads a checkpoint from a seekable stream (for example an embedded resource); the reader owns the stream.</summary>
    public static CheckpointReader Open(Stream stream, string name)
    {
        var reader = new CheckpointReader(name, stream);
        try
        {
            reader.ReadDirectory();
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    public bool Has(string section) => _sections.ContainsKey(section);

    public JsonNode ReadJson(string section)
    {
        var (kind, offset, length, crc) = Find(section, SectionKind.Json);
        if (length > MaxJsonBytes)
        {
            throw Fail($"section '{section}' claims {length} bytes of JSON, more than the {MaxJsonBytes} allowed.");
        }

        var payload = new byte[length];
        _stream.Position = offset;
        _stream.ReadExactly(payload);
        if (Crc32.HashToUInt32(payload) != crc)
        {
            throw Fail($"section '{section}' is corrupt (checksum mismatch).");
        }

        try
        {
            return JsonNode.Parse(payload) ?? throw Fail($"section '{section}' holds JSON null.");
        }
        catch (JsonException e)
        {
            throw Fail($"section '{section}' is not valid JSON ({e.Message}).", e);
        }
    }

    public T ReadJson<T>(string section)
    {
        JsonNode node = ReadJson(section);
        try
        {
            return node.Deserialize<T>(CheckpointJson.Options) ?? throw Fail($"section '{section}' holds JSON null.");
        }
        catch (JsonException e)
        {
            throw Fail($"section '{section}' does not have the expected fields ({e.Message}).", e);
        }
    }

    /// <summary>Reads every tensor of a section, on the CPU; the caller owns them.</summary>
    public Dictionary<string, Tensor> ReadTensors(string section)
    {
        var (_, offset, length, crc) = Find(section, SectionKind.Tensors);
        _stream.Position = offset;
        long remaining = length;
        var actualCrc = new Crc32();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            Span<byte> small = stackalloc byte[8];
            uint count = BinaryPrimitives.ReadUInt32LittleEndian(Take(small[..4], ref remaining, actualCrc, section));
            for (uint i = 0; i < count; i++)
            {
                int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(Take(small[..2], ref remaining, actualCrc, section));
                if (nameLength == 0 || nameLength > CheckpointLayout.MaxNameLength || nameLength > remaining)
                {
                    throw Fail($"section '{section}' has a tensor name of {nameLength} bytes; the file is corrupt.");
                }

                string name = Encoding.UTF8.GetString(Take(new byte[nameLength], ref remaining, actualCrc, section));
                Take(small[..2], ref remaining, actualCrc, section);
                byte code = small[0];
                int rank = small[1];
                var type = CheckpointLayout.FromDtypeCode(code)
                    ?? throw Fail($"tensor '{name}' in section '{section}' has an unknown type code {code}.");
                if (rank > CheckpointLayout.MaxRank)
                {
                    throw Fail($"tensor '{name}' in section '{section}' claims {rank} dimensions (at most {CheckpointLayout.MaxRank}).");
                }

                var shape = new long[rank];
                long elements = 1;

                // The product of the dimensions with zeros counted as one: libtorch computes strides from it
                // even for an empty tensor, so [0, 2^40, 2^40] must be refused although it has no elements.
                long extent = 1;
                for (int d = 0; d < rank; d++)
                {
                    shape[d] = BinaryPrimitives.ReadInt64LittleEndian(Take(small, ref remaining, actualCrc, section));
                    if (shape[d] < 0 || (shape[d] > 0 && elements > long.MaxValue / shape[d]))
                    {
                        throw Fail($"tensor '{name}' in section '{section}' has an invalid dimension {shape[d]}.");
                    }

                    elements *= shape[d];
                    extent = extent > int.MaxValue / Math.Max(shape[d], 1) ? long.MaxValue : extent * Math.Max(shape[d], 1);
                }

                if (elements == 0 && extent > int.MaxValue)
                {
                    throw Fail($"tensor '{name}' in section '{section}' has the empty shape [{string.Join(", ", shape)}], too large to describe; the file is corrupt.");
                }

                // Check the claimed size against what is left before allocating anything.
                if (elements > remaining / type.Size || elements * type.Size > int.MaxValue)
                {
                    throw Fail($"tensor '{name}' in section '{section}' claims {elements} elements of {type.Type} but the section holds only {remaining} more bytes; the file is truncated or corrupt.");
                }

                if (tensors.ContainsKey(name))
                {
                    throw Fail($"section '{section}' holds the tensor '{name}' twice.");
                }

                Tensor tensor = empty(shape, dtype: type.Type);
                tensors[name] = tensor;
                if (elements > 0)
                {
                    Take(tensor.bytes, ref remaining, actualCrc, section);
                }
            }

            if (remaining != 0)
            {
                throw Fail($"section '{section}' has {remaining} bytes after its last tensor; the file is corrupt.");
            }

            if (actualCrc.GetCurrentHashAsUInt32() != crc)
            {
                throw Fail($"section '{section}' is corrupt (checksum mismatch).");
            }

            return tensors;
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

    public void Dispose() => _stream.Dispose();

    private (SectionKind Kind, long Offset, long Length, uint Crc) Find(string section, SectionKind kind)
    {
        if (!_sections.TryGetValue(section, out var entry))
        {
            throw Fail($"the section '{section}' is missing; the file was not written by this kind of save, or by an incompatible version.");
        }

        if (entry.Kind != kind)
        {
            throw Fail($"the section '{section}' holds {entry.Kind} data, not {kind}.");
        }

        return entry;
    }

    private Span<byte> Take(Span<byte> destination, ref long remaining, Crc32 crc, string section)
    {
        if (destination.Length > remaining)
        {
            throw Fail($"section '{section}' ends in the middle of a tensor; the file is corrupt.");
        }

        _stream.ReadExactly(destination);
        remaining -= destination.Length;
        crc.Append(destination);
        return destination;
    }

    private void ReadDirectory()
    {
        long fileLength = _stream.Length;
        Span<byte> header = stackalloc byte[16];
        if (fileLength < 24 || _stream.Read(header) != 16 || !header[..8].SequenceEqual(CheckpointLayout.FileMagic))
        {
            throw Fail(fileLength == 0
                ? "the file is empty (a write was interrupted before it began, or it is not a checkpoint)."
                : "the file is not a Ddpm.Core checkpoint (it does not start with DDPMCKPT).");
        }

        FormatVersion = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (FormatVersion < 1 || FormatVersion > CheckpointLayout.Version)
        {
            throw Fail($"the file has format version {FormatVersion}, but this version of Ddpm.Core reads versions 1 to {CheckpointLayout.Version}; update Ddpm.Core.");
        }

        Span<byte> word = stackalloc byte[8];
        int count = 0;
        while (true)
        {
            ReadFully(word[..4], "its end marker");
            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(word);
            if (magic == CheckpointLayout.EndMagic)
            {
                ReadFully(word[..4], "its end marker");
                int declared = (int)BinaryPrimitives.ReadUInt32LittleEndian(word);
                if (declared != count || _stream.Position != fileLength)
                {
                    throw Fail($"the end marker declares {declared} sections but {count} were found{(_stream.Position != fileLength ? " and data follows it" : string.Empty)}; the file is corrupt.");
                }

                return;
            }

            if (magic != CheckpointLayout.SectionMagic)
            {
                throw Fail($"section {count + 1} does not start where expected; the file is corrupt.");
            }

            ReadFully(word[..2], "a section header");
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(word);
            if (nameLength == 0 || nameLength > CheckpointLayout.MaxNameLength)
            {
                throw Fail($"section {count + 1} has a name of {nameLength} bytes; the file is corrupt.");
            }

            var name = new byte[nameLength];
            ReadFully(name, "a section header");
            ReadFully(word[..1], "a section header");
            var kind = (SectionKind)word[0];
            ReadFully(word, "a section header");
            long length = BinaryPrimitives.ReadInt64LittleEndian(word);
            long payloadStart = _stream.Position;
            if (length < 0 || length > fileLength - payloadStart - 4)
            {
                throw Fail($"section '{Encoding.UTF8.GetString(name)}' claims {length} bytes but only {Math.Max(0, fileLength - payloadStart)} remain; the file is truncated.");
            }

            _stream.Position = payloadStart + length;
            ReadFully(word[..4], "a section checksum");
            string sectionName = Encoding.UTF8.GetString(name);
            if (kind is not (SectionKind.Json or SectionKind.Tensors))
            {
                // A kind from a later version: skip it, as with any unknown section.
                count++;
                continue;
            }

            if (!_sections.TryAdd(sectionName, (kind, payloadStart, length, BinaryPrimitives.ReadUInt32LittleEndian(word))))
            {
                throw Fail($"the section '{sectionName}' appears twice; the file is corrupt.");
            }

            count++;
        }
    }

    private void ReadFully(Span<byte> destination, string what)
    {
        if (_stream.Length - _stream.Position < destination.Length)
        {
            throw Fail($"the file ends before {what}; it is truncated (an interrupted write, or an incomplete copy).");
        }

        _stream.ReadExactly(destination);
    }

    private CheckpointFormatException Fail(string message, Exception? inner = null) => new(Path, message, inner);
}
