namespace Ddpm.Core.Checkpoints;

/// <summary>The kind of payload a section holds.</summary>
internal enum SectionKind : byte
{
    Json = 1,
    Tensors = 2,
}
