using Platform.Sandbox.Runtime;

namespace Platform.Sandbox.Cgroups;

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
