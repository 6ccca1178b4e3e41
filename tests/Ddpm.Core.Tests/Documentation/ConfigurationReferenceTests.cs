using System.Xml.Linq;
using FluentAssertions;

namespace Ddpm.Core.Tests.Documentation;

public sealed class ConfigurationReferenceTests
{
    private static readonly XDocument Xml = XDocument.Load(Path.Combine(AppContext.BaseDirectory, "Ddpm.Core.xml"));

    [Fact]
    public void Every_option_documents_its_default()
    {
        var undocumented = ConfigurationReference.OptionTypes
            .SelectMany(type => ConfigurationReference.Options(type).Select(p => (Type: type, Property: p)))
            .Where(o => ConfigurationReference.Member(Xml, $"P:{o.Type.FullName}.{o.Property.Name}")?.Element("value")?.Value.Contains("default", StringComparison.OrdinalIgnoreCase) != true)
            .Select(o => $"{o.Type.Name}.{o.Property.Name}");

        undocumented.Should().BeEmpty("every option says its default (and valid values) in a <value> element");
    }

    [Fact]
    public void The_configuration_reference_page_is_current()
    {
        string expected = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs-under-test", "configuration.md")).ReplaceLineEndings("\n");
        string actual = ConfigurationReference.Render(Xml).ReplaceLineEndings("\n");
        string received = Path.Combine(AppContext.BaseDirectory, "configuration.received.md");
        if (actual != expected)
        {
            File.WriteAllText(received, actual);
        }

        actual.Should().Be(expected, $"the options or their docs changed; copy {received} over docs/configuration.md");
    }
}
