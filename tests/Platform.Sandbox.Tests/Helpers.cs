using System.Diagnostics;
using Platform.Sandbox.Native;
using Platform.Sandbox.Network;
using Platform.Sandbox.Runtime;

namespace Platform.Sandbox.Tests;

public static class UnixFileTypes
{
    public const string CharDevice00 = "char 0:0";

    /// <summary>"dir", "file", "symlink", "char M:m", ... from lstat.</summary>
    public static string Of(string path)
    {
        if (!Libc.TryLstat(path, out var st)) return "missing";
        return st.FileType switch
        {
            Libc.S_IFDIR => "dir",
            Libc.S_IFREG => "file",
            Libc.S_IFLNK => "symlink",
            Libc.S_IFCHR => $"char {st.RdevMajor}:{st.RdevMinor}",
            Libc.S_IFBLK => $"block {st.RdevMajor}:{st.RdevMinor}",
            Libc.S_IFIFO => "fifo",
            _ => "other",
        };
    }

    internal static StatxBuffer Stat(string path) =>
        Libc.TryLstat(path, out var st) ? st : throw new FileNotFoundException(path);

    public static string? Xattr(string path, string name)
    {
        var buffer = new byte[256];
        var n = Libc.Lgetxattr(path, name, buffer, (nuint)buffer.Length);
        return n < 0 ? null : System.Text.Encoding.UTF8.GetString(buffer, 0, (int)n);
    }
}

public static class Host
{
    public static async Task<string> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return output;
    }
}

/// <summary>Checks that nothing of a container is left on the host.</summary>
public static class Leftovers
{
    public static async Task AssertNoneAsync(SandboxFixture fx, string id, ContainerNetwork? network)
    {
        var paths = fx.Sandbox.PathsOf(id);
        var mountinfo = await File.ReadAllTextAsync("/proc/self/mountinfo");
        Assert.DoesNotContain(paths.Directory, mountinfo);
        Assert.False(Directory.Exists(paths.Directory), $"{paths.Directory} is still there");
        Assert.False(File.Exists(Networker.NamespacePathFor(id)), "the network namespace is still there");
        Assert.DoesNotContain(Networker.NamespaceNameFor(id), await Host.RunAsync("ip", "netns", "list"));
        var rules = await Host.RunAsync("iptables-save");
        Assert.DoesNotContain($"PLATTEST:{id}", rules);
        if (network is not null)
        {
            // The veth goes with its namespace, which the kernel frees (in its own time) once nothing is in it.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Directory.Exists($"/sys/class/net/{network.HostVeth}") && DateTime.UtcNow < deadline) await Task.Delay(10);
            Assert.False(Directory.Exists($"/sys/class/net/{network.HostVeth}"), $"veth {network.HostVeth} is still there");
            Assert.DoesNotContain(network.IpAddress + ":", rules);
            Assert.DoesNotContain($"{network.IpAddress}/", rules);
        }
        foreach (var mount in CgroupLayout.Detect().Mounts)
        {
            var dir = Path.Combine(mount.MountPoint, Sandbox.CgroupsPathFor(id).TrimStart('/'));
            Assert.False(Directory.Exists(dir), $"cgroup {dir} is still there");
        }
        Assert.False(fx.Sandbox.Runtime.HasState(id), "the runtime still has state for the container");
        Assert.DoesNotContain(id, await fx.Sandbox.ListAsync(CancellationToken.None));
        foreach (var kind in new[] { "addresses", "ports" })
        {
            var dir = Path.Combine(fx.Root, "network", kind);
            if (!Directory.Exists(dir)) continue;
            foreach (var f in Directory.EnumerateFiles(dir))
                Assert.NotEqual(id, await File.ReadAllTextAsync(f));
        }
    }
}
