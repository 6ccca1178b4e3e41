namespace Ddpm.Core.Tests.TestSupport;

/// <summary>Paths of the reference fixtures copied next to the test assembly.</summary>
internal static class Fixtures
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);
}
