using System.Diagnostics;

namespace Platform.EndToEnd.Tests;

/// <summary>What an instance can leave on the host: mounts, network namespaces, veths, NAT rules, cgroups.</summary>
public static class HostLeftovers
{
    /// <summary>Every trace of the instance found on the host, described; empty when it is gone.</summary>
    public static List<string> Of(Guid instanceId)
    {
        var n = instanceId.ToString("N");
        var found = new List<string>();
        found.AddRange(File.ReadLines("/proc/self/mountinfo").Where(l => l.Contains(n)).Select(l => "mount: " + l));
        found.AddRange(Run("ip", "netns", "list").Split('\n').Where(l => l.Contains(n[..8])).Select(l => "netns: " + l));
        found.AddRange(Run("iptables-save").Split('\n').Where(l => l.Contains(n[..8])).Select(l => "rule: " + l));
        foreach (var root in Directory.EnumerateDirectories("/sys/fs/cgroup"))
            found.AddRange(Directory.EnumerateDirectories(root, "*", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 4 })
                .Where(d => d.Contains(n)).Select(d => "cgroup: " + d));
        return found;
    }

    /// <summary>Network devices still attached to the bridge.</summary>
    public static List<string> VethsOn(string bridge) =>
        Run("ip", "-o", "link", "show", "master", bridge).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var s = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return s;
    }
}
