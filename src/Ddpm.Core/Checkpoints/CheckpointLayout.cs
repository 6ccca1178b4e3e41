using TorchSharp;

namespace Ddpm.Core.Checkpoints;

/// <summary>
/// The checkpoint container, version 1. All integers little-endian.
/// <code>
/// file    := "DDPMCKPT" u32:version u32:reserved section* end
/// section := u32:"SECT" u16:nameLength name:utf8 u8:kind u64:length payload[length] u32:crc32(payload)
/// end     := u32:"END!" u32:sectionCount
/// kind 1 (JSON) payload := UTF-8 JSON
/// kind 2 (tensors) payload := u32:count ( u16:nameLength name u8:dtype u8:rank i64:dims[rank] data )*
/// </code>
/// Readers skip sections they do not know, so later versions of the library can add sections
/// without breaking older files or older readers.
/// </summary>
internal static class CheckpointLayout
{
    public const int Version = 1;
    public const uint SectionMagic = 0x54434553; // "SECT"
    public const uint EndMagic = 0x21444E45;     // "END!"
    public const int MaxRank = 8;
    public const int MaxNameLength = 1024;

    public static ReadOnlySpan<byte> FileMagic => "DDPMCKPT"u8;

    public static byte DtypeCode(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Float32 => 1,
        torch.ScalarType.Float64 => 2,
        torch.ScalarType.Int64 => 3,
        torch.ScalarType.Byte => 4,
        torch.ScalarType.BFloat16 => 5,
        torch.ScalarType.Float16 => 6,
        torch.ScalarType.Int32 => 7,
        torch.ScalarType.Bool => 8,
        _ => throw new NotSupportedException($"Tensors of type {type} cannot be stored in a checkpoint."),
    };

    public static (torch.ScalarType Type, int Size)? FromDtypeCode(byte code) => code switch
    {
        1 => (torch.ScalarType.Float32, 4),
        2 => (torch.ScalarType.Float64, 8),
        3 => (torch.ScalarType.Int64, 8),
        4 => (torch.ScalarType.Byte, 1),
        5 => (torch.ScalarType.BFloat16, 2),
        6 => (torch.ScalarType.Float16, 2),
        7 => (torch.ScalarType.Int32, 4),
        8 => (torch.ScalarType.Bool, 1),
        _ => null,
    };
}
