using System.Reflection.PortableExecutable;
using FluentAssertions;

namespace Ddpm.Core.Tests.PublicApi;

/// <summary>The library is AnyCPU, so it loads on every architecture libtorch ships (x64, osx-arm64, win-arm64); only executables pin one.</summary>
public sealed class AssemblyArchitectureTests
{
    [Fact]
    public void Ddpm_Core_is_built_for_any_CPU()
    {
        using var stream = File.OpenRead(typeof(DdpmModel).Assembly.Location);
        using var reader = new PEReader(stream);
        PEHeaders headers = reader.PEHeaders;

        headers.CoffHeader.Machine.Should().Be(Machine.I386, "AnyCPU assemblies carry the I386 machine with IL only");
        headers.CorHeader!.Flags.Should().HaveFlag(CorFlags.ILOnly).And.NotHaveFlag(CorFlags.Requires32Bit);
        headers.PEHeader!.Magic.Should().Be(PEMagic.PE32, "a 64-bit-only assembly is PE32+");
    }
}
