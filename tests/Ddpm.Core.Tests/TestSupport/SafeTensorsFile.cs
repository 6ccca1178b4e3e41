using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.TestSupport;

/// <summary>Reads the safetensors fixtures written by tests/reference/simple_unet_reference.py (F32 and I64 only).</summary>
internal static class SafeTensorsFile
{
    public static Dictionary<string, Tensor> Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        int dataStart = checked(8 + (int)headerLength);
        using JsonDocument header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (JsonProperty entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                continue;
            }

            string dtype = entry.Value.GetProperty("dtype").GetString()!;
            long[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            long[] offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var data = bytes.AsSpan(dataStart + (int)offsets[0], (int)(offsets[1] - offsets[0]));
            tensors[entry.Name] = dtype switch
            {
                "F32" => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(data).ToArray(), shape),
                "I64" => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(data).ToArray(), shape),
                _ => throw new NotSupportedException($"dtype {dtype} in {path}"),
            };
        }

        return tensors;
    }
}
