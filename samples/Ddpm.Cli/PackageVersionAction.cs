using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;
using Ddpm.Core;

namespace Ddpm.Cli;

/// <summary><c>ddpm --version</c>: the Ddpm.Core package version (and commit) the program was built with.</summary>
internal sealed class PackageVersionAction : SynchronousCommandLineAction
{
    /// <summary>Writes the version to the invocation's output.</summary>
    public override int Invoke(ParseResult parseResult)
    {
        string version = typeof(DdpmModel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(DdpmModel).Assembly.GetName().Version!.ToString(3);
        parseResult.InvocationConfiguration.Output.WriteLine(version);
        return ExitCodes.Success;
    }
}
