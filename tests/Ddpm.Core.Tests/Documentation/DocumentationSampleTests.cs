using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Ddpm.Core.Tests.Documentation;

/// <summary>
/// Every ```csharp block of README.md, docs/*.md and the package README compiles against the library.
/// A block is a top-level program; names a guide takes from its context (a trained <c>model</c>, a
/// <c>dataset</c>, <c>services</c>, ...) come from <see cref="Context"/>, and a block's own
/// declarations hide them.
/// </summary>
public sealed partial class DocumentationSampleTests
{
    private const string Context = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Threading;
        global using Ddpm.Core;
        global using Ddpm.Core.Checkpoints;
        global using Ddpm.Core.Data;
        global using Ddpm.Core.DependencyInjection;
        global using Ddpm.Core.Diffusion;
        global using Ddpm.Evaluation;
        global using Ddpm.Core.Imaging;
        global using Ddpm.Core.Models;
        global using Ddpm.Core.Sampling;
        global using Ddpm.Core.Schedules;
        global using Ddpm.Core.Training;
        global using Microsoft.Extensions.Configuration;
        global using Microsoft.Extensions.DependencyInjection;
        global using Microsoft.Extensions.Logging;
        global using TorchSharp;
        global using static TorchSharp.torch;
        global using static DocumentationContext;

        internal static class DocumentationContext
        {
            public static DdpmModel model => throw new NotSupportedException();
            public static DdpmSampler sampler => throw new NotSupportedException();
            public static IImageDataset dataset => throw new NotSupportedException();
            public static ILogger<DdpmTrainer> logger => throw new NotSupportedException();
            public static IProgress<TrainingProgress> progress => throw new NotSupportedException();
            public static CancellationToken cancellationToken => CancellationToken.None;
            public static IServiceCollection services => throw new NotSupportedException();
            public static IConfiguration configuration => throw new NotSupportedException();
        }
        """;

    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "docs-under-test");

    public static TheoryData<string, int> Samples()
    {
        var data = new TheoryData<string, int>();
        foreach (string file in Directory.GetFiles(Folder, "*.md").Order(StringComparer.Ordinal))
        {
            foreach (var (line, _) in Blocks(file))
            {
                data.Add(Path.GetFileName(file), line);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Each_csharp_sample_compiles(string file, int line)
    {
        string code = Blocks(Path.Combine(Folder, file)).Single(b => b.Line == line).Code;
        IEnumerable<MetadataReference> references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(path => MetadataReference.CreateFromFile(path));
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        CSharpCompilation compilation = CSharpCompilation.Create(
            "DocumentationSample",
            [CSharpSyntaxTree.ParseText(Context, options), CSharpSyntaxTree.ParseText(code, options)],
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));

        using var assembly = new MemoryStream();
        var errors = compilation.Emit(assembly).Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToArray();

        errors.Should().BeEmpty($"the C# sample at {file}:{line} must compile:\n{code}");
    }

    [Fact]
    public void The_guides_hold_samples_to_check()
    {
        Samples().Count().Should().BeGreaterThanOrEqualTo(8);
    }

    private static IEnumerable<(int Line, string Code)> Blocks(string file)
    {
        string[] lines = File.ReadAllLines(file);
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() == "```csharp")
            {
                int start = i + 1;
                int end = Array.FindIndex(lines, start, l => l.Trim() == "```");
                yield return (start + 1, string.Join('\n', lines[start..end]));
                i = end;
            }
        }
    }
}
