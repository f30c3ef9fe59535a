using Platform.Sandbox.Native;

namespace Platform.Sandbox.Rootfs;

/// <summary>
/// Mounts a container's rootfs as an overlay: the layers read-only, an upper and work dir of its own, so every
/// write lands in the upper dir and the shared layers stay untouched.
/// </summary>
public static class OverlayRootfs
{
    /// <summary>Mounts the overlay of <paramref name="layers"/> (bottom first) at <paramref name="target"/>.</summary>
    public static void Mount(IReadOnlyList<string> layers, string upper, string work, string target)
    {
        if (layers.Count == 0) throw new ArgumentException("a rootfs needs at least one layer", nameof(layers));
        foreach (var layer in layers)
        {
            if (!Path.IsPathFullyQualified(layer)) throw new ArgumentException($"layer path must be absolute: {layer}", nameof(layers));
            if (!Directory.Exists(layer)) throw new ArgumentException($"layer directory does not exist: {layer}", nameof(layers));
            if (layer.Contains(',') || layer.Contains(':'))
                throw new ArgumentException($"layer path may not contain ',' or ':' (overlay option syntax): {layer}", nameof(layers));
        }
        Directory.CreateDirectory(upper);
        Directory.CreateDirectory(work);
        Directory.CreateDirectory(target);
        // overlay lists lowerdirs top first; the spec lists layers bottom first.
        var lower = string.Join(':', layers.Reverse());
        var data = $"lowerdir={lower},upperdir={upper},workdir={work}";
        if (data.Length >= 4000)
            throw new ArgumentException($"too many layers for one overlay mount ({layers.Count}; the options exceed a page)", nameof(layers));
        if (Libc.Mount("overlay", target, "overlay", 0, data) != 0)
            throw new SandboxException($"mounting the overlay rootfs at {target} failed: {Libc.ErrorText(Libc.LastError)} (options {data})");
    }

    /// <summary>
    /// Makes the mount at <paramref name="target"/> shared (its own peer group), so that mounts made beneath it also
    /// appear in the copies other mount namespaces have of it as slaves (a container's rootfs).
    /// </summary>
    public static void MakeShared(string target)
    {
        const ulong MS_SHARED = 1 << 20;
        if (Libc.Mount("none", target, "", MS_SHARED, null) != 0)
            throw new SandboxException($"making {target} a shared mount failed: {Libc.ErrorText(Libc.LastError)}");
    }

    /// <summary>
    /// Unmounts every mount at or below <paramref name="directory"/>, deepest first (lazily, so a busy mount
    /// cannot block a teardown). Returns the mount points that were unmounted.
    /// </summary>
    public static IReadOnlyList<string> UnmountAllUnder(string directory)
    {
        var prefix = Path.TrimEndingDirectorySeparator(directory);
        var unmounted = new List<string>();
        // A path can be mounted over more than once: repeat until mountinfo shows nothing under it.
        for (var round = 0; round < 8; round++)
        {
            var mounts = MountsUnder(prefix);
            if (mounts.Count == 0) break;
            foreach (var mountPoint in mounts.OrderByDescending(m => m.Length))
            {
                if (Libc.Umount2(mountPoint, Libc.MNT_DETACH) == 0) unmounted.Add(mountPoint);
                else if (Libc.LastError is not (Libc.EINVAL or Libc.ENOENT))
                    throw new SandboxException($"unmounting {mountPoint} failed: {Libc.ErrorText(Libc.LastError)}");
            }
        }
        return unmounted;
    }

    /// <summary>Mount points at or below the directory, from /proc/self/mountinfo.</summary>
    public static IReadOnlyList<string> MountsUnder(string directory)
    {
        var prefix = Path.TrimEndingDirectorySeparator(directory);
        return MountInfo.ReadAll()
            .Select(m => m.MountPoint)
            .Where(p => p == prefix || p.StartsWith(prefix + "/", StringComparison.Ordinal))
            .Distinct()
            .ToList();
    }
}
