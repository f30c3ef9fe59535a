using Platform.Contracts.Api;

namespace Platform.Cli.Output;

/// <summary>Prints an app the way `cf app` does: key facts, then one row per instance.</summary>
internal static class AppSummary
{
    public static void Write(TextWriter w, AppDetailResponse detail)
    {
        var app = detail.App;
        var pairs = new (string, string)[]
        {
            ("name:", app.Name),
            ("requested state:", app.State.ToLowerInvariant()),
            ("routes:", string.Join(", ", app.Routes)),
            ("last uploaded:", app.LastUploadedAt is { } t ? Format.Time(t) : "never"),
            ("buildpacks:", app.DetectedBuildpack ?? app.Buildpack ?? "(not staged)"),
            ("instances:", $"{app.RunningInstances}/{app.Instances}"),
            ("memory:", Format.Megabytes(app.MemoryMb)),
            ("disk:", Format.Megabytes(app.DiskMb)),
            ("volumes:", app.Volumes is { Count: > 0 } volumes ? string.Join(", ", volumes.Select(x => $"{x.Name}:{x.Path}")) : "none"),
        };
        foreach (var (k, v) in pairs)
            w.WriteLine($"{k,-18} {v}");
        w.WriteLine();
        if (detail.InstanceDetails.Count == 0)
        {
            w.WriteLine("There are no running instances of this app.");
            return;
        }
        Table.Write(w, ["#", "state", "since", "cpu", "memory", "disk", "uptime", "cell", "address", "details"],
            detail.InstanceDetails.Select(i => (IReadOnlyList<string>)
                [$"#{i.Index}", i.State.ToLowerInvariant(), Format.Time(i.Since),
                 i.CpuPercent is { } cpu ? cpu.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "%" : "-",
                 Format.UsedOf(i.MemoryBytes, i.MemoryLimitBytes), Format.UsedOf(i.DiskBytes, i.DiskLimitBytes),
                 i.UptimeSeconds is { } up ? Format.Duration(up) : "-",
                 i.CellId ?? "", i.Address ?? "", i.Reason ?? ""]));
    }
}
