using System.CommandLine;

namespace Ddpm.Cli;

/// <summary>Runs a command's work with the context of this invocation and turns its exceptions into exit codes.</summary>
/// <param name="parse">The parsed command line.</param>
/// <param name="work">The command's work; returns the exit code.</param>
/// <returns>The exit code.</returns>
internal delegate int CommandRunner(ParseResult parse, Func<CliContext, int> work);
