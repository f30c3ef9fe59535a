using Platform.Sandbox.Runtime;

namespace Platform.Sandbox.Cgroups;

/// <summary>
/// The limits the runtime wrote into a container's cgroups, in v1 terms whatever the host's version: memory and
/// memory+swap in bytes (null: none), CPU shares (on v2 the cpu.weight, see <see cref="CpuWeight"/>), the CFS quota
/// and period in microseconds (null quota: none), and the pids limit and count.
/// </summary>
public sealed record CgroupLimits(
    long? MemoryBytes, long? MemoryAndSwapBytes, long? SwapBytes, ulong? CpuShares, ulong? CpuWeight,
    long? CpuQuotaMicroseconds, long? CpuPeriodMicroseconds, long? PidsMax, long? PidsCurrent);

/// <summary>A container's resource use, as its cgroups report it.</summary>
public sealed record ContainerMetrics(long? MemoryUsageBytes, long? MemoryLimitBytes, TimeSpan? CpuUsage, long OomKills);

/// <summary>
/// Reads what the runtime's cgroups hold for a container: OOM kills, memory and CPU use, on cgroup v1 (and
/// hybrid) hosts and on cgroup v2. The runtime writes the limits; this only reads.
/// </summary>
public sealed class CgroupReader(CgroupLayout layout)
{
    public CgroupLayout Layout { get; } = layout;

    /// <summary>How many processes of the cgroup the kernel's OOM killer ended (0 when unknown).</summary>
    public long OomKillCount(string cgroupsPath)
    {
        var memory = Layout.Memory;
        if (memory is null) return 0;
        var dir = Combine(memory.MountPoint, cgroupsPath);
        // v1: memory.oom_control has "oom_kill N" (kernel 4.13+); v2: memory.events has "oom_kill N".
        var file = memory.IsV2 ? Path.Combine(dir, "memory.events") : Path.Combine(dir, "memory.oom_control");
        return ReadKeyed(file, "oom_kill") ?? 0;
    }

    public ContainerMetrics? Read(string cgroupsPath)
    {
        var memory = Layout.Memory;
        if (memory is null) return null;
        var memDir = Combine(memory.MountPoint, cgroupsPath);
        if (!Directory.Exists(memDir)) return null;
        long? usage, limit;
        if (memory.IsV2)
        {
            usage = ReadNumber(Path.Combine(memDir, "memory.current"));
            limit = ReadNumber(Path.Combine(memDir, "memory.max"));
        }
        else
        {
            usage = ReadNumber(Path.Combine(memDir, "memory.usage_in_bytes"));
            limit = ReadNumber(Path.Combine(memDir, "memory.limit_in_bytes"));
        }
        TimeSpan? cpu = null;
        if (Layout.Cpu is { } cpuMount)
        {
            var cpuDir = Combine(cpuMount.MountPoint, cgroupsPath);
            if (cpuMount.IsV2)
            {
                if (ReadKeyed(Path.Combine(cpuDir, "cpu.stat"), "usage_usec") is { } usec) cpu = TimeSpan.FromMicroseconds(usec);
            }
            else if (ReadNumber(Path.Combine(cpuDir, "cpuacct.usage")) is { } ns) cpu = TimeSpan.FromTicks(ns / 100);
        }
        return new ContainerMetrics(usage, limit, cpu, OomKillCount(cgroupsPath));
    }

    /// <summary>What limits the container's cgroups hold, or null when it has no memory cgroup (not running).</summary>
    public CgroupLimits? ReadLimits(string cgroupsPath)
    {
        var memory = Layout.Memory;
        if (memory is null) return null;
        var memDir = Combine(memory.MountPoint, cgroupsPath);
        if (!Directory.Exists(memDir)) return null;
        if (memory.IsV2)
        {
            // One directory holds every controller's files.
            var (quota, period) = ReadCpuMax(Path.Combine(memDir, "cpu.max"));
            var mem = ReadNumber(Path.Combine(memDir, "memory.max"));
            var swap = ReadNumber(Path.Combine(memDir, "memory.swap.max"));
            return new CgroupLimits(mem, mem is { } m && swap is { } sw ? m + sw : null, swap, null,
                (ulong?)ReadNumber(Path.Combine(memDir, "cpu.weight")), quota, period,
                ReadNumber(Path.Combine(memDir, "pids.max")), ReadNumber(Path.Combine(memDir, "pids.current")));
        }
        var memLimit = Unlimited(ReadNumber(Path.Combine(memDir, "memory.limit_in_bytes")));
        var memsw = Unlimited(ReadNumber(Path.Combine(memDir, "memory.memsw.limit_in_bytes")));
        string? cpuDir = Mount("cpu") is { } cpu ? Combine(cpu.MountPoint, cgroupsPath) : null;
        string? pidsDir = Mount("pids") is { } pids ? Combine(pids.MountPoint, cgroupsPath) : null;
        var v1Quota = cpuDir is null ? null : ReadNumber(Path.Combine(cpuDir, "cpu.cfs_quota_us"));
        return new CgroupLimits(memLimit, memsw, memLimit is { } l && memsw is { } s2 ? s2 - l : null,
            cpuDir is null ? null : (ulong?)ReadNumber(Path.Combine(cpuDir, "cpu.shares")), null,
            v1Quota is < 0 ? null : v1Quota, cpuDir is null ? null : ReadNumber(Path.Combine(cpuDir, "cpu.cfs_period_us")),
            pidsDir is null ? null : ReadNumber(Path.Combine(pidsDir, "pids.max")),
            pidsDir is null ? null : ReadNumber(Path.Combine(pidsDir, "pids.current")));
    }

    /// <summary>CPU time the container used (all its processes), or null when unknown.</summary>
    public TimeSpan? CpuUsage(string cgroupsPath)
    {
        if (Layout.Cpu is not { } cpuMount) return null;
        var cpuDir = Combine(cpuMount.MountPoint, cgroupsPath);
        if (cpuMount.IsV2)
            return ReadKeyed(Path.Combine(cpuDir, "cpu.stat"), "usage_usec") is { } usec ? TimeSpan.FromMicroseconds(usec) : null;
        return ReadNumber(Path.Combine(cpuDir, "cpuacct.usage")) is { } ns ? TimeSpan.FromTicks(ns / 100) : null;
    }

    private CgroupMount? Mount(string controller) =>
        Layout.Mounts.FirstOrDefault(m => !m.IsV2 && m.Controllers.Contains(controller))
        ?? (Layout.Mode == CgroupMode.Unified ? Layout.Mounts.FirstOrDefault(m => m.IsV2) : null);

    /// <summary>v1 writes "no limit" as the largest page-aligned long.</summary>
    private static long? Unlimited(long? value) => value is >= 0x7FFFFFFFFFFFF000 ? null : value;

    /// <summary>cpu.max is "QUOTA PERIOD" with "max" for no quota.</summary>
    private static (long? Quota, long? Period) ReadCpuMax(string file)
    {
        try
        {
            var parts = File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length != 2) return (null, null);
            return (long.TryParse(parts[0], out var q) ? q : null, long.TryParse(parts[1], out var p) ? p : null);
        }
        catch (IOException) { return (null, null); }
        catch (UnauthorizedAccessException) { return (null, null); }
    }

    /// <summary>Every directory this cgroup path has in any hierarchy (to remove leftovers).</summary>
    public IEnumerable<string> DirectoriesOf(string cgroupsPath) =>
        Layout.Mounts.Select(m => Combine(m.MountPoint, cgroupsPath)).Where(Directory.Exists).Distinct();

    private static string Combine(string mountPoint, string cgroupsPath) =>
        Path.Combine(mountPoint, cgroupsPath.TrimStart('/'));

    private static long? ReadNumber(string file)
    {
        try
        {
            var text = File.ReadAllText(file).Trim();
            return long.TryParse(text, out var n) ? n : null; // "max" (v2 unlimited) -> null
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static long? ReadKeyed(string file, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], out var n)) return n;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
