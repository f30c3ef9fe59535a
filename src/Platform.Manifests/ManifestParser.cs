using System.Globalization;
using System.Text.RegularExpressions;
using Platform.Contracts;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Platform.Manifests;

/// <summary>What reading a manifest gave: the manifest when it is valid, every error, and warnings (unknown keys).</summary>
public sealed record ManifestParseResult(Manifest? Manifest, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings)
{
    public bool Ok => Manifest is not null && Errors.Count == 0;
}

/// <summary>
/// Reads a manifest.yml in Cloud Foundry's schema. <c>((name))</c> is replaced by the value of the variable (plat's
/// <c>--var</c> and <c>--vars-file</c>). An unknown key is a warning; a bad value, a missing variable or bad YAML is an
/// error that names the file, the line and the key ("manifest.yml:7: instances (app web): ..."), and every error is
/// reported, not just the first. Values are checked by the same rules the API enforces.
/// </summary>
public static partial class ManifestParser
{
    public const int MaxInstances = 100;

    public static ManifestParseResult Parse(string text, string source, IReadOnlyDictionary<string, string>? variables = null) =>
        new Reader(source, variables ?? new Dictionary<string, string>()).Read(text);

    private sealed class Reader(string source, IReadOnlyDictionary<string, string> variables)
    {
        private readonly List<string> _errors = [];
        private readonly List<string> _warnings = [];

        public ManifestParseResult Read(string text)
        {
            var stream = new YamlStream();
            try
            {
                stream.Load(new StringReader(text));
            }
            catch (YamlException e)
            {
                _errors.Add($"{source}:{e.Start.Line}: not valid YAML: {Unpositioned(e)}");
                return Result(null);
            }
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            {
                _errors.Add($"{source}: the manifest is empty: it needs 'applications:' with a list of apps");
                return Result(null);
            }
            if (stream.Documents.Count > 1) _warnings.Add($"{source}: only the first YAML document is read");
            if (stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                _errors.Add($"{source}:{Line(stream.Documents[0].RootNode)}: the manifest must be a mapping with 'applications:'");
                return Result(null);
            }

            YamlNode? applications = null;
            foreach (var (keyNode, value) in root.Children)
            {
                var key = KeyOf(keyNode);
                switch (key)
                {
                    case ManifestKeys.Applications: applications = value; break;
                    case ManifestKeys.Version:
                        if (Scalar(value, key, null) is { } v && v != "1") _warnings.Add($"{source}:{Line(value)}: manifest version {v}: only version 1 is known");
                        break;
                    default: _warnings.Add($"{source}:{Line(keyNode)}: unknown key '{key}' (ignored)"); break;
                }
            }
            if (applications is not YamlSequenceNode { Children.Count: > 0 } list)
            {
                _errors.Add($"{source}:{(applications is null ? Line(root) : Line(applications))}: 'applications:' must be a list of one or more apps");
                return Result(null);
            }

            var apps = new List<ManifestApp>();
            foreach (var node in list.Children)
                if (App(node) is { } app) apps.Add(app);
            foreach (var twice in apps.GroupBy(a => a.Name).Where(g => g.Count() > 1))
                _errors.Add($"{source}:{twice.Skip(1).First().Line}: name: the app {twice.Key} is listed twice");
            return Result(new Manifest(apps));
        }

        private ManifestParseResult Result(Manifest? manifest) => new(_errors.Count == 0 ? manifest : null, _errors, _warnings);

        private ManifestApp? App(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                _errors.Add($"{source}:{Line(node)}: each of 'applications:' must be a mapping with at least 'name:'");
                return null;
            }
            var nameNode = map.Children.FirstOrDefault(kv => KeyOf(kv.Key) == ManifestKeys.Name).Value;
            var name = nameNode is null ? null : Scalar(nameNode, ManifestKeys.Name, null);
            if (name is null)
            {
                if (nameNode is null) _errors.Add($"{source}:{Line(map)}: name: every app needs a name");
                return null;
            }
            var errorsBefore = _errors.Count;
            if (!Names.IsValidAppName(name))
                Error(nameNode!, ManifestKeys.Name, null,
                    $"'{name}' is not a valid app name: use 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit");

            var lines = new Dictionary<string, int>(StringComparer.Ordinal);
            string? path = null, memory = null, disk = null, command = null, healthType = null, endpoint = null, stack = null, legacyBuildpack = null;
            int? instances = null, timeout = null;
            bool? noRoute = null, randomRoute = null;
            IReadOnlyList<string>? buildpacks = null;
            IReadOnlyDictionary<string, string>? env = null;
            IReadOnlyList<ManifestRoute>? routes = null;
            IReadOnlyList<VolumeMount>? volumes = null;
            foreach (var (keyNode, value) in map.Children)
            {
                var key = KeyOf(keyNode);
                lines[key] = Line(keyNode);
                if (IsNull(value)) continue; // "key:" with nothing after it: not given
                switch (key)
                {
                    case ManifestKeys.Name: break;
                    case ManifestKeys.Path: path = Scalar(value, key, name); break;
                    case ManifestKeys.Instances: instances = Int(value, key, name, 0, MaxInstances, "a whole number of instances"); break;
                    case ManifestKeys.Memory: memory = Size(value, key, name); break;
                    case ManifestKeys.DiskQuota: disk = Size(value, key, name); break;
                    case ManifestKeys.Buildpacks: buildpacks = Buildpacks(value, key, name); break;
                    case ManifestKeys.Buildpack:
                        legacyBuildpack = Scalar(value, key, name);
                        _warnings.Add($"{source}:{Line(keyNode)}: buildpack (app {name}) is deprecated: write buildpacks: [{legacyBuildpack}]");
                        break;
                    case ManifestKeys.Command: command = Scalar(value, key, name); break;
                    case ManifestKeys.Env: env = Env(value, key, name); break;
                    case ManifestKeys.Routes: routes = Routes(value, key, name); break;
                    case ManifestKeys.NoRoute: noRoute = Bool(value, key, name); break;
                    case ManifestKeys.RandomRoute: randomRoute = Bool(value, key, name); break;
                    case ManifestKeys.HealthCheckType:
                        healthType = Scalar(value, key, name) is { } t ? (t == "none" ? HealthChecks.Process : t) : null;
                        if (healthType is not null && !HealthChecks.Types.Contains(healthType))
                            Error(value, key, name, $"'{healthType}' is not a health check type: use port, http or process");
                        break;
                    case ManifestKeys.HealthCheckHttpEndpoint:
                        endpoint = Scalar(value, key, name);
                        if (endpoint is not null && HealthChecks.Check(null, endpoint, null) is { } endpointError) Error(value, key, name, endpointError);
                        break;
                    case ManifestKeys.Timeout: timeout = Int(value, key, name, 1, HealthChecks.MaxTimeoutSeconds, "a whole number of seconds"); break;
                    case ManifestKeys.Stack: stack = Scalar(value, key, name); break;
                    case ManifestKeys.Volumes: volumes = VolumeList(value, key, name); break;
                    default: _warnings.Add($"{source}:{Line(keyNode)}: unknown key '{key}' (app {name}; ignored)"); break;
                }
            }
            if (healthType is not null && endpoint is not null && healthType != HealthChecks.Http)
                Error(map.Children.First(kv => KeyOf(kv.Key) == ManifestKeys.HealthCheckHttpEndpoint).Key, ManifestKeys.HealthCheckHttpEndpoint, name,
                    $"an endpoint is only for the http health check, not {healthType}");
            if (routes is not null && noRoute == true)
                _errors.Add($"{source}:{lines[ManifestKeys.NoRoute]}: no-route (app {name}): the app also lists routes: give one or the other");
            if (routes is not null && randomRoute == true)
                _errors.Add($"{source}:{lines[ManifestKeys.RandomRoute]}: random-route (app {name}): the app also lists routes: give one or the other");
            if (_errors.Count > errorsBefore) return null;
            return new ManifestApp
            {
                Name = name, Path = path, Instances = instances, Memory = memory, DiskQuota = disk,
                Buildpacks = buildpacks ?? (legacyBuildpack is null ? null : [legacyBuildpack]),
                Command = command, Env = env, Routes = routes, NoRoute = noRoute, RandomRoute = randomRoute,
                HealthCheckType = healthType, HealthCheckHttpEndpoint = endpoint, Timeout = timeout, Stack = stack, Volumes = volumes,
                Line = Line(map), Lines = lines,
            };
        }

        private string? Size(YamlNode node, string key, string app)
        {
            var text = Scalar(node, key, app);
            if (text is not null && Sizes.TryParseMegabytes(text, out var error) is null) { Error(node, key, app, error!); return null; }
            return text;
        }

        private int? Int(YamlNode node, string key, string app, int min, int max, string what)
        {
            var text = Scalar(node, key, app);
            if (text is null) return null;
            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max) return n;
            Error(node, key, app, $"'{text}' is not {what} from {min} to {max}");
            return null;
        }

        private bool? Bool(YamlNode node, string key, string app)
        {
            var text = Scalar(node, key, app);
            switch (text?.ToLowerInvariant())
            {
                case null: return null;
                case "true" or "yes": return true;
                case "false" or "no": return false;
                default: Error(node, key, app, $"'{text}' is not true or false"); return null;
            }
        }

        private List<string>? Buildpacks(YamlNode node, string key, string app)
        {
            if (node is not YamlSequenceNode seq) { Error(node, key, app, "must be a list of buildpack names, such as [staticfile_buildpack]"); return null; }
            var names = seq.Children.Select(c => Scalar(c, key, app)).Where(n => n is not null).Select(n => n!).ToList();
            if (names.Count > 1) { Error(node, key, app, $"{names.Count} buildpacks are listed: an app here is staged by one buildpack"); return null; }
            return names;
        }

        private Dictionary<string, string>? Env(YamlNode node, string key, string app)
        {
            if (node is not YamlMappingNode map) { Error(node, key, app, "must be a mapping of NAME: value"); return null; }
            var env = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (nameNode, valueNode) in map.Children)
            {
                var name = KeyOf(nameNode);
                if (EnvRules.CheckName(name) is { } bad) { Error(nameNode, $"{key}.{name}", app, bad); continue; }
                if (IsNull(valueNode)) { Error(valueNode, $"{key}.{name}", app, "has no value (quote an empty one: \"\")"); continue; }
                if (Scalar(valueNode, $"{key}.{name}", app, "must be a single value: write a structure as a JSON string") is { } value) env[name] = value;
            }
            if (EnvRules.Check(env) is { } tooMuch) { Error(node, key, app, tooMuch); return null; }
            return env;
        }

        private List<ManifestRoute>? Routes(YamlNode node, string key, string app)
        {
            if (node is not YamlSequenceNode seq) { Error(node, key, app, "must be a list of '- route: host.domain/path'"); return null; }
            var routes = new List<ManifestRoute>();
            foreach (var item in seq.Children)
            {
                if (item is not YamlMappingNode entry) { Error(item, key, app, "each route must be a mapping: '- route: host.domain/path'"); continue; }
                string? url = null, protocol = null;
                var errorsBefore = _errors.Count;
                foreach (var (k, v) in entry.Children)
                {
                    var name = KeyOf(k);
                    if (name == ManifestKeys.Route) url = Scalar(v, $"{key}.route", app);
                    else if (name == ManifestKeys.Protocol)
                    {
                        protocol = Scalar(v, $"{key}.protocol", app);
                        if (protocol is not null && RouteRules.NormalizeProtocol(protocol, out var protocolError) is null) { Error(v, $"{key}.protocol", app, protocolError!); protocol = null; }
                    }
                    else _warnings.Add($"{source}:{Line(k)}: unknown key '{name}' in routes (app {app}; ignored)");
                }
                if (_errors.Count > errorsBefore) continue;
                if (url is null) { Error(entry, key, app, "a route needs 'route: host.domain/path'"); continue; }
                if (RouteSyntax(url) is { } bad) { Error(entry, $"{key}.route", app, bad); continue; }
                routes.Add(new ManifestRoute(url, protocol?.ToLowerInvariant(), Line(entry)));
            }
            if (routes.GroupBy(r => r.Route.ToLowerInvariant()).FirstOrDefault(g => g.Count() > 1) is { } twice)
                Error(node, key, app, $"the route {twice.Key} is listed twice");
            return routes;
        }

        private List<VolumeMount>? VolumeList(YamlNode node, string key, string app)
        {
            if (node is not YamlSequenceNode seq) { Error(node, key, app, "must be a list of '- name: NAME' and 'path: /path' (or NAME:/path)"); return null; }
            var volumes = new List<VolumeMount>();
            foreach (var item in seq.Children)
            {
                if (item is YamlMappingNode map)
                {
                    var name = map.Children.FirstOrDefault(kv => KeyOf(kv.Key) == "name").Value is { } n ? Scalar(n, $"{key}.name", app) : null;
                    var path = map.Children.FirstOrDefault(kv => KeyOf(kv.Key) == "path").Value is { } p ? Scalar(p, $"{key}.path", app) : null;
                    foreach (var (k, _) in map.Children.Where(kv => KeyOf(kv.Key) is not ("name" or "path")))
                        _warnings.Add($"{source}:{Line(k)}: unknown key '{KeyOf(k)}' in volumes (app {app}; ignored)");
                    if ((Volumes.CheckName(name) ?? Volumes.CheckPath(path)) is { } bad) { Error(item, key, app, bad); continue; }
                    volumes.Add(new VolumeMount(name!, Volumes.NormalizePath(path!)));
                }
                else if (Scalar(item, key, app) is { } text)
                {
                    if (Volumes.TryParse(text, out var error) is { } volume) volumes.Add(volume);
                    else Error(item, key, app, error!);
                }
            }
            if (Volumes.CheckList(volumes) is { } listError) { Error(node, key, app, listError); return null; }
            return volumes;
        }

        /// <summary>The route's form, as far as it can be checked without knowing the platform's domains.</summary>
        private static string? RouteSyntax(string url)
        {
            if (url.Contains("://", StringComparison.Ordinal)) return $"'{url}' is not host.domain[/path]: leave out the scheme";
            var slash = url.IndexOf('/');
            var host = (slash < 0 ? url : url[..slash]).TrimEnd('.').ToLowerInvariant();
            if (host.Contains(':')) return $"'{url}' has a port: TCP routes are not supported";
            var labels = host.Split('.');
            if (labels.Length < 2) return $"'{url}' is not host.domain[/path]: the host name needs a domain";
            foreach (var label in labels)
                if (RouteRules.CheckHostname(label) is { } bad) return $"the route '{url}': {bad}";
            if (host.Length > RouteRules.MaxHostLength) return $"the host name of '{url}' is longer than {RouteRules.MaxHostLength} characters";
            return slash >= 0 && RouteRules.NormalizePath(url[slash..], out var pathError) is null ? pathError : null;
        }

        /// <summary>A scalar's value with its variables replaced; null (and an error) when it is not a scalar or a variable has no value.</summary>
        private string? Scalar(YamlNode node, string key, string? app, string notScalar = "must be a single value, not a list or mapping")
        {
            if (node is not YamlScalarNode scalar) { Error(node, key, app, notScalar); return null; }
            var value = scalar.Value ?? "";
            var missing = new List<string>();
            var replaced = Variable().Replace(value, m =>
            {
                if (variables.TryGetValue(m.Groups[1].Value, out var v)) return v;
                missing.Add(m.Groups[1].Value);
                return m.Value;
            });
            if (missing.Count > 0)
            {
                Error(node, key, app, $"no value for the variable (({missing[0]})): give --var {missing[0]}=VALUE or a --vars-file that has it");
                return null;
            }
            return replaced;
        }

        private void Error(YamlNode node, string key, string? app, string message) =>
            _errors.Add($"{source}:{Line(node)}: {key}{(app is null ? "" : $" (app {app})")}: {message}");

        private static bool IsNull(YamlNode node) =>
            node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

        private static string KeyOf(YamlNode node) => node is YamlScalarNode s ? s.Value ?? "" : node.ToString();

        private static int Line(YamlNode node) => (int)node.Start.Line;

        // YamlDotNet's messages start with "(Line: 3, Col: 5, Idx: 20) - (Line: 3, Col: 9, Idx: 24): ": the line is given already.
        private static string Unpositioned(YamlException e) => Position().Replace(e.Message, "");
    }

    [GeneratedRegex(@"\(\(\s*([A-Za-z0-9_.-]+)\s*\)\)")]
    private static partial Regex Variable();

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex Position();
}
