using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Platform.Manifests;

/// <summary>
/// Writes a manifest as YAML that <see cref="ManifestParser"/> reads back to the same manifest: settings in Cloud
/// Foundry's order, unset ones left out, env values and commands always quoted (so "true" or "0123" stay strings).
/// </summary>
public static class ManifestWriter
{
    public static string Write(Manifest manifest)
    {
        var apps = new YamlSequenceNode();
        foreach (var app in manifest.Applications) apps.Add(App(app));
        var root = new YamlMappingNode { { ManifestKeys.Applications, apps } };
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        // YamlStream ends the document with "..."; a manifest does not need the marker.
        var text = writer.ToString().TrimEnd();
        return (text.EndsWith("...", StringComparison.Ordinal) ? text[..^3].TrimEnd() : text) + "\n";
    }

    private static YamlMappingNode App(ManifestApp app)
    {
        var map = new YamlMappingNode { { ManifestKeys.Name, app.Name } };
        if (app.Path is { } path) map.Add(ManifestKeys.Path, Quoted(path));
        if (app.Instances is { } instances) map.Add(ManifestKeys.Instances, instances.ToString(CultureInfo.InvariantCulture));
        if (app.Memory is { } memory) map.Add(ManifestKeys.Memory, memory);
        if (app.DiskQuota is { } disk) map.Add(ManifestKeys.DiskQuota, disk);
        if (app.Buildpacks is { } buildpacks) map.Add(ManifestKeys.Buildpacks, new YamlSequenceNode(buildpacks.Select(b => (YamlNode)new YamlScalarNode(b))));
        if (app.Stack is { } stack) map.Add(ManifestKeys.Stack, stack);
        if (app.Command is { } command) map.Add(ManifestKeys.Command, Quoted(command));
        if (app.HealthCheckType is { } type) map.Add(ManifestKeys.HealthCheckType, type);
        if (app.HealthCheckHttpEndpoint is { } endpoint) map.Add(ManifestKeys.HealthCheckHttpEndpoint, Quoted(endpoint));
        if (app.Timeout is { } timeout) map.Add(ManifestKeys.Timeout, timeout.ToString(CultureInfo.InvariantCulture));
        if (app.NoRoute is { } noRoute) map.Add(ManifestKeys.NoRoute, noRoute ? "true" : "false");
        if (app.RandomRoute is { } randomRoute) map.Add(ManifestKeys.RandomRoute, randomRoute ? "true" : "false");
        if (app.Routes is { } routes)
        {
            var list = new YamlSequenceNode();
            foreach (var route in routes)
            {
                var entry = new YamlMappingNode { { ManifestKeys.Route, route.Route } };
                if (route.Protocol is { } protocol) entry.Add(ManifestKeys.Protocol, protocol);
                list.Add(entry);
            }
            map.Add(ManifestKeys.Routes, list);
        }
        if (app.Env is { } env)
        {
            var vars = new YamlMappingNode();
            foreach (var (name, value) in env.OrderBy(kv => kv.Key, StringComparer.Ordinal)) vars.Add(name, Quoted(value));
            map.Add(ManifestKeys.Env, vars);
        }
        if (app.Volumes is { } volumes)
        {
            var list = new YamlSequenceNode();
            foreach (var v in volumes) list.Add(new YamlMappingNode { { "name", v.Name }, { "path", Quoted(v.Path) } });
            map.Add(ManifestKeys.Volumes, list);
        }
        return map;
    }

    private static YamlScalarNode Quoted(string value) => new(value) { Style = ScalarStyle.DoubleQuoted };
}
