using System.Diagnostics;
using System.Runtime.InteropServices;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace Ddpm.Core.Tests.Documentation;

/// <summary>
/// Runs the program of docs/getting-started.md exactly as printed, as a separate process in a folder of
/// images: first interrupted with Ctrl+C (SIGINT) after its first step, then again to the end, which must
/// continue from the checkpoint the interruption wrote and write the model and the samples.
/// </summary>
public sealed class GettingStartedTests(ITestOutputHelper output)
{
    [Fact]
    public void The_getting_started_program_runs_as_printed_through_ctrl_c_and_a_resume()
    {
        string program = CompileProgram();
        using var folder = new TempDirectory();
        WriteImages(Path.Combine(folder.Path, "my-images"), count: 128);

        // First run: Ctrl+C once the first step is reported.
        (int firstExit, List<string> firstLines) = Run(program, folder.Path, interruptAfterFirstStep: true);

        firstExit.Should().Be(0, string.Join('\n', firstLines));
        string stopped = firstLines.Should().ContainSingle(l => l.StartsWith("Stopped after step ", StringComparison.Ordinal), "the program catches the cancellation").Subject;
        int stoppedAt = int.Parse(stopped["Stopped after step ".Length..].Split(';')[0], System.Globalization.CultureInfo.InvariantCulture);
        stoppedAt.Should().BeInRange(1, 9, "the run has 10 steps (5 epochs of 128 images at batch 64) and stopped early");
        Directory.GetFiles(Path.Combine(folder.Path, "runs", "first"), "checkpoint-*.ddpm").Should().ContainSingle("cancellation writes a checkpoint");
        File.Exists(Path.Combine(folder.Path, "first.ddpm")).Should().BeFalse();

        // Where NNPACK cannot start (Zen 5 VMs; the child inherits this process's oneDNN limit), libtorch would
        // warn at every convolution it tries NNPACK for: 32 lines in this run before the library switched it off.
        firstLines.Count(l => l.Contains("Could not initialize NNPACK", StringComparison.Ordinal)).Should().BeLessThanOrEqualTo(1, "the library asks once and switches NNPACK off");

        // Second run: continues from that checkpoint to the end.
        (int secondExit, List<string> secondLines) = Run(program, folder.Path, interruptAfterFirstStep: false);

        secondExit.Should().Be(0, string.Join('\n', secondLines));
        secondLines.First(l => l.StartsWith("step ", StringComparison.Ordinal)).Should().StartWith($"step {stoppedAt + 1}/10 ", "it resumes after the checkpoint's step");
        secondLines.Last(l => l.StartsWith("step ", StringComparison.Ordinal)).Should().StartWith("step 10/10 ");
        using DdpmModel model = DdpmModel.Load(Path.Combine(folder.Path, "first.ddpm"));
        model.TrainedSteps.Should().Be(10);
        using Image grid = Image.Load(Path.Combine(folder.Path, "samples.png"));
        grid.Width.Should().BeGreaterThan(8 * 32, "64 samples of 32x32 in a grid");
    }

    /// <summary>Compiles the page's first C# block, alone, into the test's output folder (so it finds the same libraries).</summary>
    private static string CompileProgram()
    {
        string page = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs-under-test", "getting-started.md"));
        int start = page.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        string code = page[start..page.IndexOf("```", start, StringComparison.Ordinal)];
        code.Should().Contain("CancelKeyPress", "the page's program is the one with Ctrl+C handling");

        IEnumerable<MetadataReference> references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(path => MetadataReference.CreateFromFile(path));
        CSharpCompilation compilation = CSharpCompilation.Create(
            "GettingStarted",
            [CSharpSyntaxTree.ParseText(ImplicitUsings + code, new CSharpParseOptions(LanguageVersion.Latest))],
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        string path = Path.Combine(AppContext.BaseDirectory, "GettingStarted.dll");
        using (FileStream file = File.Create(path))
        {
            var result = compilation.Emit(file);
            result.Success.Should().BeTrue(string.Join('\n', result.Diagnostics));
        }

        return path;
    }

    /// <summary>What <c>dotnet new console</c> puts in scope (ImplicitUsings), which the page's program relies on.</summary>
    private const string ImplicitUsings = "global using System; global using System.IO; global using System.Linq; global using System.Threading; global using System.Threading.Tasks; global using System.Collections.Generic; global using System.Net.Http;\n";

    private (int ExitCode, List<string> Lines) Run(string program, string workingDirectory, bool interruptAfterFirstStep)
    {
        string folder = AppContext.BaseDirectory;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "exec", "--runtimeconfig", Path.Combine(folder, "Ddpm.Core.Tests.runtimeconfig.json"), "--depsfile", Path.Combine(folder, "Ddpm.Core.Tests.deps.json"), program })
        {
            start.ArgumentList.Add(argument);
        }

        // A job a non-interactive shell starts in the background (cmd &) ignores SIGINT, and children inherit that, so
        // "Ctrl+C" would never reach the program. Put the default back in this process, so that the child's runtime
        // installs its handler as it does under a terminal.
        if (interruptAfterFirstStep && SigIntIgnored())
        {
            Signal(SigInt, IntPtr.Zero);
        }

        using Process process = Process.Start(start)!;
        var lines = new List<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (lines)
                {
                    lines.Add("stderr: " + e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        bool interrupted = false;
        while (process.StandardOutput.ReadLine() is string line)
        {
            lock (lines)
            {
                lines.Add(line);
            }

            if (interruptAfterFirstStep && !interrupted && line.StartsWith("step ", StringComparison.Ordinal))
            {
                // What Ctrl+C in a terminal sends the process.
                Kill(process.Id, SigInt).Should().Be(0);
                interrupted = true;
            }
        }

        process.WaitForExit(TimeSpan.FromMinutes(5)).Should().BeTrue("the program finishes");
        process.WaitForExit();
        output.WriteLine(string.Join('\n', lines));
        return (process.ExitCode, lines);
    }

    private static void WriteImages(string folder, int count)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(1);
        for (int i = 0; i < count; i++)
        {
            // A bright square of random size and place on black.
            using var image = new Image<L8>(32, 32);
            int size = random.Next(8, 20);
            int x0 = random.Next(0, 32 - size);
            int y0 = random.Next(0, 32 - size);
            for (int y = y0; y < y0 + size; y++)
            {
                for (int x = x0; x < x0 + size; x++)
                {
                    image[x, y] = new L8(230);
                }
            }

            image.SaveAsPng(Path.Combine(folder, $"{i:D3}.png"));
        }
    }

    private const int SigInt = 2;

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    /// <summary>signal(2); IntPtr.Zero is SIG_DFL.</summary>
    [DllImport("libc", EntryPoint = "signal")]
    private static extern IntPtr Signal(int signal, IntPtr handler);

    /// <summary>Whether this process ignores SIGINT (the SigIgn mask of /proc/self/status).</summary>
    private static bool SigIntIgnored()
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (SigInt - 1))) != 0;
    }
}
