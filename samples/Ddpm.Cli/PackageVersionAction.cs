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
        parseResult.InvocationConfiguration.Output.WriteLine(Of(typeof(DdpmModel).Assembly));
        return ExitCodes.Success;
    }

    /// <summary>An assembly's informational version (<c>0.1.0+commit</c>), or its version number when it has none.</summary>
    /// <param name="assembly">The assembly.</param>
    /// <param name="withCommit">False drops the <c>+commit</c> suffix.</param>
    public static string Of(Assembly assembly, bool withCommit = true)
    {
        string version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version!.ToString(3);
        return withCommit ? version : version.Split('+')[0];
    }
}
