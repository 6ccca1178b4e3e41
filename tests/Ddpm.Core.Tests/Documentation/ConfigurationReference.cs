using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Ddpm.Core.Data;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Training;

namespace Ddpm.Core.Tests.Documentation;

/// <summary>Renders docs/configuration.md from the options classes and their XML documentation.</summary>
internal static partial class ConfigurationReference
{
    public static readonly Type[] OptionTypes =
    [
        typeof(DdpmTrainerOptions),
        typeof(EmaOptions),
        typeof(DdpmSamplerOptions),
        typeof(UNetConfiguration),
        typeof(SimpleUNetConfiguration),
        typeof(ImageFolderDatasetOptions),
    ];

    public static IEnumerable<PropertyInfo> Options(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true).OrderBy(p => p.MetadataToken);

    public static string Render(XDocument xml)
    {
        var text = new StringBuilder();
        text.AppendLine("# Configuration reference");
        text.AppendLine();
        text.AppendLine("Every option of the library's options classes, with its default and valid values, generated from");
        text.AppendLine("the XML documentation by `ConfigurationReferenceTests` (which fails when this page is out of date).");
        text.AppendLine("Validators (`DdpmTrainerOptionsValidator`, `DdpmSamplerOptionsValidator`, each configuration's");
        text.AppendLine("`Validate`) check every value and name the option, the value and the allowed range in their messages.");
        foreach (Type type in OptionTypes)
        {
            text.AppendLine();
            text.AppendLine($"## `{type.Name}` ({type.Namespace})");
            text.AppendLine();
            text.AppendLine(Clean(Member(xml, $"T:{type.FullName}")?.Element("summary")));
            text.AppendLine();
            text.AppendLine("| Option | Type | Default and valid values | What |");
            text.AppendLine("| --- | --- | --- | --- |");
            foreach (PropertyInfo property in Options(type))
            {
                XElement? member = Member(xml, $"P:{type.FullName}.{property.Name}");
                text.AppendLine($"| `{property.Name}` | `{TypeName(property.PropertyType)}` | {Clean(member?.Element("value"))} | {Clean(member?.Element("summary"))} |");
            }
        }

        return text.ToString();
    }

    public static XElement? Member(XDocument xml, string name) =>
        xml.Root!.Element("members")!.Elements("member").FirstOrDefault(m => (string?)m.Attribute("name") == name);

    private static string TypeName(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is Type inner)
        {
            return TypeName(inner) + "?";
        }

        return type.IsGenericType
            ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", type.GetGenericArguments().Select(TypeName))}>"
            : type.Name;
    }

    /// <summary>XML doc text as one Markdown line: references become their short names, code stays code.</summary>
    private static string Clean(XElement? element)
    {
        if (element is null)
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        foreach (XNode node in element.Nodes())
        {
            text.Append(node switch
            {
                XText t => t.Value,
                XElement { Name.LocalName: "see" or "seealso" } see => $"`{Short((string?)see.Attribute("cref") ?? (string?)see.Attribute("langword") ?? see.Value)}`",
                XElement { Name.LocalName: "paramref" or "typeparamref" } reference => $"`{(string?)reference.Attribute("name")}`",
                XElement { Name.LocalName: "c" } code => $"`{code.Value}`",
                XElement other => other.Value,
                _ => string.Empty,
            });
        }

        return Whitespace().Replace(text.ToString(), " ").Trim().Replace("|", "\\|", StringComparison.Ordinal);
    }

    /// <summary>A type reference becomes its name; a member reference its type and member names (<c>KnownBetaSchedules.Linear</c>).</summary>
    private static string Short(string cref)
    {
        string[] parts = (cref.Contains(':', StringComparison.Ordinal) ? cref[(cref.IndexOf(':', StringComparison.Ordinal) + 1)..] : cref).Split('(')[0].Split('.');
        return cref.StartsWith("T:", StringComparison.Ordinal) || parts.Length < 2 ? parts[^1] : $"{parts[^2]}.{parts[^1]}";
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
