using System.Globalization;

namespace Ddpm.Benchmarks;

/// <summary>
/// One reading of a soak: where it was taken (a step or a batch), live tensors as found, live tensors
/// after a full garbage collection, and memory (after that collection).
/// </summary>
internal readonly record struct SoakReport(long At, long RawTensors, long LiveTensors, double RssMiB, double ManagedMiB)
{
    /// <summary>
    /// Takes a reading. The raw count is read first; then a full collection runs finalisers, so that
    /// tensors dropped without Dispose (and already unreachable) and managed garbage do not blur the
    /// comparison between readings.
    /// </summary>
    public static SoakReport Take(long at, MemoryProbe probe)
    {
        long raw = TorchSharp.torch.Tensor.TotalCount;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return new SoakReport(at, raw, TorchSharp.torch.Tensor.TotalCount, probe.RssMiB(), MemoryProbe.ManagedMiB());
    }
}

/// <summary>The end-of-soak comparison shared by both soaks.</summary>
internal static class SoakSummary
{
    /// <summary>RSS may grow by less than this, in percent, for a FLAT verdict.</summary>
    public const double RssTolerancePercent = 5.0;

    /// <summary>
    /// Compares live tensors (after a full GC) at the first report with the last, and RSS from the report at
    /// <paramref name="rssFrom"/> (the second report when there is none) to the last; prints the verdict.
    /// </summary>
    /// <returns>0 for FLAT, 1 for GROWING or too few reports.</returns>
    public static int Print(IReadOnlyList<SoakReport> reports, string unit, long? rssFrom)
    {
        Console.WriteLine();
        if (reports.Count < 2)
        {
            Console.WriteLine($"Only {reports.Count} report(s): at least 2 are needed to compare. Verdict: INCONCLUSIVE");
            return 1;
        }

        SoakReport first = reports[0];
        SoakReport last = reports[^1];
        SoakReport baseline = reports.Where(r => r.At == rssFrom).Select(r => (SoakReport?)r).FirstOrDefault() ?? reports[1];
        double growth = (last.RssMiB - baseline.RssMiB) / baseline.RssMiB * 100.0;
        bool flat = first.LiveTensors == last.LiveTensors && growth < RssTolerancePercent;

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Live tensors (after a full GC): {first.LiveTensors} at {unit} {first.At}, {last.LiveTensors} at {unit} {last.At} ({last.LiveTensors - first.LiveTensors:+0;-0;0}); as found: {first.RawTensors} and {last.RawTensors}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RSS: {baseline.RssMiB:F1} MiB at {unit} {baseline.At}, {last.RssMiB:F1} MiB at {unit} {last.At} ({growth:+0.00;-0.00;0.00}%)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Managed heap: {first.ManagedMiB:F1} MiB at {unit} {first.At}, {last.ManagedMiB:F1} MiB at {unit} {last.At}"));
        Console.WriteLine(flat ? "FLAT" : "GROWING");
        return flat ? 0 : 1;
    }

    public static string Row(SoakReport report, string extra = "") => string.Create(
        CultureInfo.InvariantCulture,
        $"{report.At,8} {report.RawTensors,12} {report.LiveTensors,14} {report.RssMiB,10:F1} {report.ManagedMiB,12:F1}{extra}");

    public static string Header(string unit, string extra = "") =>
        $"{unit,8} {"live tensors",12} {"after full GC",14} {"RSS MiB",10} {"managed MiB",12}{extra}";
}
