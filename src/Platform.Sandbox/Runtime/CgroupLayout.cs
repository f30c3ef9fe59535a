namespace Platform.Sandbox.Runtime;

/// <summary>How the host mounts cgroups.</summary>
public enum CgroupMode
{
    /// <summary>Only cgroup v1 hierarchies under /sys/fs/cgroup.</summary>
    Legacy,
    /// <summary>v1 controllers under /sys/fs/cgroup with a cgroup2 mount beside them (usually /sys/fs/cgroup/unified).</summary>
    Hybrid,
    /// <summary>cgroup2 mounted at /sys/fs/cgroup.</summary>
    Unified,
}

/// <summary>The host's cgroup mounts, read from /proc/self/mountinfo.</summary>
public sealed record CgroupLayout(CgroupMode Mode, IReadOnlyList<CgroupMount> Mounts)
{
    /// <summary>Where the memory controller's hierarchy is mounted and whether it is cgroup v2.</summary>
    public CgroupMount? Memory => Mounts.FirstOrDefault(m => m.Controllers.Contains("memory"))
        ?? (Mode == CgroupMode.Unified ? Mounts.FirstOrDefault(m => m.IsV2) : null);

    public CgroupMount? Cpu => Mounts.FirstOrDefault(m => m.Controllers.Contains("cpuacct"))
        ?? (Mode == CgroupMode.Unified ? Mounts.FirstOrDefault(m => m.IsV2) : null);

    public static CgroupLayout Detect() => Parse(File.ReadAllLines("/proc/self/mountinfo"));

    public static CgroupLayout Parse(IEnumerable<string> mountInfoLines)
    {
        var mounts = new List<CgroupMount>();
        foreach (var line in mountInfoLines)
        {
            var m = MountInfo.ParseLine(line);
            if (m is null) continue;
            if (m.FileSystemType == "cgroup2")
                mounts.Add(new CgroupMount(m.MountPoint, true, []));
            else if (m.FileSystemType == "cgroup")
            {
                var controllers = m.SuperOptions.Split(',')
                    .Where(o => o is not ("rw" or "ro" or "relatime") && !o.StartsWith("name=", StringComparison.Ordinal)
                                && !o.Contains('='))
                    .ToArray();
                mounts.Add(new CgroupMount(m.MountPoint, false, controllers));
            }
        }
        var mode = mounts.Any(x => x.IsV2 && x.MountPoint == "/sys/fs/cgroup") ? CgroupMode.Unified
            : mounts.Any(x => x.IsV2) ? CgroupMode.Hybrid
            : CgroupMode.Legacy;
        return new CgroupLayout(mode, mounts);
    }
}

/// <summary>One cgroup hierarchy: where it is mounted, its version and (v1) its controllers.</summary>
public sealed record CgroupMount(string MountPoint, bool IsV2, IReadOnlyList<string> Controllers);
