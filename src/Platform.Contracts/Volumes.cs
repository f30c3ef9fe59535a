using System.Text.RegularExpressions;

namespace Platform.Contracts;

/// <summary>A named persistent volume mounted into every instance of an app at <see cref="Path"/>.</summary>
public sealed record VolumeMount(string Name, string Path);

/// <summary>
/// Rules for volume names and mount paths, shared by the API (which enforces them with 400s) and the CLI (which
/// checks early). A name is a DNS label, as a service instance's would be; a path is where the app sees the data.
/// </summary>
public static partial class Volumes
{
    public const int MaxPerApp = 8;

    /// <summary>Directories the runtime owns inside a container: a volume there would hide or break them.</summary>
    private static readonly string[] ReservedRoots = ["/proc", "/sys", "/dev", "/.platform-init", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"];

    /// <summary>The app's own directory: mounting over it would hide the droplet.</summary>
    public const string AppDir = "/home/vcap/app";

    /// <summary>Null when the name is valid, else why not.</summary>
    public static string? CheckName(string? name) =>
        name is { Length: > 0 and <= 63 } && NameRegex().IsMatch(name)
            ? null
            : $"'{name}' is not a valid volume name: use 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit";

    /// <summary>Null when the mount path is acceptable, else why not.</summary>
    public static string? CheckPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || !path.StartsWith('/'))
            return $"volume path '{path}' must be absolute (start with '/')";
        if (path.Length > 255) return $"volume path '{path}' is longer than 255 characters";
        if (path.Any(c => char.IsControl(c) || c is ',' or ':'))
            return $"volume path '{path}' may not contain control characters, ',' or ':'";
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s is "." or ".."))
            return $"volume path '{path}' may not contain '.' or '..' segments";
        if (segments.Length == 0) return "a volume cannot be mounted at '/'";
        var normal = "/" + string.Join('/', segments);
        if (normal == AppDir || AppDir.StartsWith(normal + "/", StringComparison.Ordinal))
            return $"a volume cannot be mounted at '{normal}': it would hide the app's files in {AppDir}";
        foreach (var root in ReservedRoots)
            if (normal == root || normal.StartsWith(root + "/", StringComparison.Ordinal))
                return $"a volume cannot be mounted at '{normal}': {root} belongs to the container runtime";
        return null;
    }

    /// <summary>"/data/" -> "/data": the form stored and mounted.</summary>
    public static string NormalizePath(string path) => "/" + string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Checks a whole list: each name and path, no name or path twice, at most <see cref="MaxPerApp"/>.</summary>
    public static string? CheckList(IReadOnlyList<VolumeMount>? volumes)
    {
        if (volumes is null) return null;
        if (volumes.Count > MaxPerApp) return $"an app may have at most {MaxPerApp} volumes, not {volumes.Count}";
        foreach (var v in volumes)
        {
            if (v is null) return "a volume must be an object {name, path}";
            if (CheckName(v.Name) is { } nameError) return nameError;
            if (CheckPath(v.Path) is { } pathError) return pathError;
        }
        if (volumes.GroupBy(v => v.Name).FirstOrDefault(g => g.Count() > 1) is { } dupName)
            return $"volume '{dupName.Key}' is listed twice";
        if (volumes.GroupBy(v => NormalizePath(v.Path)).FirstOrDefault(g => g.Count() > 1) is { } dupPath)
            return $"two volumes are mounted at '{dupPath.Key}'";
        var paths = volumes.Select(v => NormalizePath(v.Path)).ToList();
        foreach (var p in paths)
            if (paths.FirstOrDefault(q => q != p && p.StartsWith(q + "/", StringComparison.Ordinal)) is { } outer)
                return $"volume path '{p}' is inside another volume's path '{outer}'";
        return null;
    }

    /// <summary>Parses the CLI's NAME:/path form; null with an error when it is not that.</summary>
    public static VolumeMount? TryParse(string text, out string? error)
    {
        var colon = text.IndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = $"'{text}' is not NAME:/path (for example data:/home/vcap/data)";
            return null;
        }
        var v = new VolumeMount(text[..colon], text[(colon + 1)..]);
        error = CheckName(v.Name) ?? CheckPath(v.Path);
        return error is null ? v with { Path = NormalizePath(v.Path) } : null;
    }

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex NameRegex();
}
