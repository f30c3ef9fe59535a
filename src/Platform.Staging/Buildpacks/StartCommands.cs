using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Platform.Staging.Buildpacks;

/// <summary>Reads the start command from the places Cloud Foundry reads it.</summary>
public static class StartCommands
{
    /// <summary>
    /// The web command in a buildpack's bin/release output:
    /// <c>default_process_types: {web: CMD}</c>. Null when it names none.
    /// </summary>
    public static string? FromReleaseYaml(string yaml)
    {
        if (string.IsNullOrWhiteSpace(yaml)) return null;
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new StagingFailedException($"bin/release printed YAML that does not parse: {e.Message}", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root) return null;
        if (!root.Children.TryGetValue(new YamlScalarNode("default_process_types"), out var types)) return null;
        if (types is not YamlMappingNode typeMap) return null;
        return typeMap.Children.TryGetValue(new YamlScalarNode("web"), out var web) && web is YamlScalarNode { Value: { Length: > 0 } cmd }
            ? cmd.Trim()
            : null;
    }

    /// <summary>The <c>web:</c> line of a Procfile (Heroku's format: "type: command" per line). Null when absent.</summary>
    public static string? FromProcfile(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.TrimStart().StartsWith('#')) continue;
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            if (line[..colon].Trim() != "web") continue;
            var command = line[(colon + 1)..].Trim();
            return command.Length > 0 ? command : null;
        }
        return null;
    }
}
