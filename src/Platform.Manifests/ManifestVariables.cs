using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Platform.Manifests;

/// <summary>
/// The values for a manifest's <c>((name))</c> variables: vars files (YAML mappings of name: value, read in order, a
/// later one winning) and then <c>--var name=value</c>, which wins over them all, as in cf push.
/// </summary>
public sealed class ManifestVariables
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>Adds a vars file's values; the errors name the file and line.</summary>
    public IReadOnlyList<string> AddFile(string text, string source)
    {
        var errors = new List<string>();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            return [$"{source}:{e.Start.Line}: not valid YAML: {e.Message}"];
        }
        if (stream.Documents.Count == 0) return [];
        if (stream.Documents[0].RootNode is not YamlMappingNode map)
            return [$"{source}:{stream.Documents[0].RootNode.Start.Line}: a vars file must be a mapping of name: value"];
        foreach (var (key, value) in map.Children)
        {
            var name = (key as YamlScalarNode)?.Value ?? "";
            if (value is YamlScalarNode scalar) _values[name] = scalar.Value ?? "";
            else errors.Add($"{source}:{value.Start.Line}: {name}: a variable must be a single value, not a list or mapping");
        }
        return errors;
    }

    /// <summary>Adds one <c>name=value</c>; null when it is one, else why not.</summary>
    public string? Add(string assignment)
    {
        var equals = assignment.IndexOf('=');
        if (equals <= 0) return $"--var '{assignment}' is not NAME=VALUE";
        _values[assignment[..equals]] = assignment[(equals + 1)..];
        return null;
    }
}
