using Platform.Contracts;
using Platform.Manifests;

namespace Platform.Cli.Commands;

/// <summary>One app to push: its settings (manifest and flags together) and where its files are.</summary>
internal sealed record PushTarget(ManifestApp App, string Source, bool IsArchive);

/// <summary>The flags of plat push that set one app's settings, checked before anything is read or sent.</summary>
internal sealed record PushFlags(
    int? Instances, string? Memory, string? Disk, string? Buildpack, string? Command, string? HealthCheckType, string? Endpoint,
    int? Timeout, bool NoRoute, bool RandomRoute, string? Stack, IReadOnlyList<VolumeMount>? Volumes, string? Path)
{
    /// <summary>The flags given, by name, for the error that they need a single app.</summary>
    public IEnumerable<string> Given()
    {
        if (Instances is not null) yield return "-i";
        if (Memory is not null) yield return "-m";
        if (Disk is not null) yield return "-k";
        if (Buildpack is not null) yield return "-b";
        if (Command is not null) yield return "-c";
        if (HealthCheckType is not null) yield return "-u";
        if (Endpoint is not null) yield return "--endpoint";
        if (Timeout is not null) yield return "-t";
        if (NoRoute) yield return "--no-route";
        if (RandomRoute) yield return "--random-route";
        if (Stack is not null) yield return "-s";
        if (Volumes is not null) yield return "--volume";
        if (Path is not null) yield return "-p";
    }

    /// <summary>The app with the flags' settings over the manifest's, as cf push: a flag wins.</summary>
    public ManifestApp ApplyTo(ManifestApp app)
    {
        var type = HealthCheckType ?? app.HealthCheckType;
        return app with
        {
            Instances = Instances ?? app.Instances,
            Memory = Memory ?? app.Memory,
            DiskQuota = Disk ?? app.DiskQuota,
            // -b default (or null) goes back to detection, as in cf push.
            Buildpacks = Buildpack is null ? app.Buildpacks : Buildpack is "default" or "null" ? [] : [Buildpack],
            Command = Command ?? app.Command,
            HealthCheckType = type,
            // An endpoint belongs to the http check only: -u port drops the manifest's.
            HealthCheckHttpEndpoint = Endpoint ?? (type is null or HealthChecks.Http ? app.HealthCheckHttpEndpoint : null),
            Timeout = Timeout ?? app.Timeout,
            NoRoute = NoRoute ? true : app.NoRoute,
            RandomRoute = RandomRoute ? true : app.RandomRoute,
            Routes = NoRoute || RandomRoute ? null : app.Routes,
            Stack = Stack ?? app.Stack,
            Volumes = Volumes ?? app.Volumes,
        };
    }
}

/// <summary>
/// What plat push reads before it sends anything: the manifest (./manifest.yml, -f FILE, or none with --no-manifest),
/// its variables, which of its apps to push (NAME, or all), the flags over them, and each app's files.
/// </summary>
internal static class PushInputs
{
    private static readonly string[] ArchiveExtensions = [".zip", ".war", ".jar"];

    /// <summary>The manifest's display name and its apps, or null when there is none to read.</summary>
    public static (string Source, string Directory, Manifest Manifest)? ReadManifest(
        CliEnvironment env, string? file, bool noManifest, IReadOnlyList<string> vars, IReadOnlyList<string> varsFiles)
    {
        if (noManifest)
        {
            if (file is not null) throw new CliException("-f and --no-manifest contradict each other: give one");
            return null;
        }
        string path;
        if (file is not null)
        {
            path = System.IO.Path.GetFullPath(file, env.WorkingDirectory);
            if (Directory.Exists(path)) path = System.IO.Path.Combine(path, "manifest.yml");
            if (!File.Exists(path)) throw new CliException($"-f {file}: no such manifest file");
        }
        else
        {
            path = System.IO.Path.Combine(env.WorkingDirectory, "manifest.yml");
            if (!File.Exists(path))
            {
                if (vars.Count > 0 || varsFiles.Count > 0) throw new CliException("--var and --vars-file are for a manifest: there is no manifest.yml here (give -f FILE)");
                return null;
            }
        }
        var source = file ?? "manifest.yml";

        var variables = new ManifestVariables();
        var errors = new List<string>();
        foreach (var varsFile in varsFiles)
        {
            var varsPath = System.IO.Path.GetFullPath(varsFile, env.WorkingDirectory);
            if (!File.Exists(varsPath)) throw new CliException($"--vars-file {varsFile}: no such file");
            errors.AddRange(variables.AddFile(File.ReadAllText(varsPath), varsFile));
        }
        foreach (var assignment in vars)
            if (variables.Add(assignment) is { } bad) errors.Add(bad);
        if (errors.Count > 0) throw new CliException(string.Join("\n", errors));

        var result = ManifestParser.Parse(File.ReadAllText(path), source, variables.Values);
        foreach (var warning in result.Warnings) env.Err.WriteLine($"warning: {warning}");
        if (!result.Ok)
            throw new CliException(result.Errors.Count == 1 ? result.Errors[0] : $"the manifest has {result.Errors.Count} errors:\n  " + string.Join("\n  ", result.Errors));
        return (source, System.IO.Path.GetDirectoryName(path)!, result.Manifest!);
    }

    /// <summary>The apps to push: NAME's (from the manifest, or flags alone without one), or every app of the manifest.</summary>
    public static List<PushTarget> Select(CliEnvironment env, (string Source, string Directory, Manifest Manifest)? manifest, string? name, PushFlags flags)
    {
        List<ManifestApp> apps;
        if (name is not null)
        {
            var app = manifest is { } m
                ? m.Manifest.Find(name) ?? throw new CliException(
                    $"{m.Source} has no app '{name}': it has {string.Join(", ", m.Manifest.Applications.Select(a => a.Name))} (push one of them, all of them without a NAME, or use --no-manifest)")
                : new ManifestApp { Name = name };
            apps = [flags.ApplyTo(app)];
        }
        else
        {
            if (manifest is not { } m)
                throw new CliException("give the app's NAME, or push from a directory with a manifest.yml (or -f FILE)");
            if (m.Manifest.Applications.Count > 1 && flags.Given().ToList() is { Count: > 0 } given)
                throw new CliException($"{string.Join(", ", given)} set one app's settings, and {m.Source} has {m.Manifest.Applications.Count} apps: name the app (plat push NAME ...)");
            apps = m.Manifest.Applications.Select(flags.ApplyTo).ToList();
        }

        var targets = new List<PushTarget>();
        foreach (var app in apps)
        {
            // -p is relative to where plat runs; a manifest's path to the manifest's directory, which is also the default.
            var source = flags.Path is { } p ? System.IO.Path.GetFullPath(p, env.WorkingDirectory)
                : app.Path is { } mp ? System.IO.Path.GetFullPath(mp, manifest!.Value.Directory)
                : manifest?.Directory ?? env.WorkingDirectory;
            var isArchive = File.Exists(source) && ArchiveExtensions.Contains(System.IO.Path.GetExtension(source).ToLowerInvariant());
            var shown = flags.Path is not null ? "-p " + source : $"path of app {app.Name}: {source}";
            if (!isArchive && !Directory.Exists(source))
                throw new CliException(File.Exists(source) ? $"{shown}: a file must be a .zip, .war or .jar" : $"{shown}: no such file or directory");
            targets.Add(new PushTarget(app with { Path = null }, source, isArchive));
        }
        return targets;
    }
}
