namespace Platform.Sandbox.Rootfs;

/// <summary>
/// The filesystem a container's overlay upper and work dirs live on. With a disk limit it is a filesystem of its
/// own: a sparse image file of exactly that size, formatted ext4 and loop-mounted, so a container that writes past
/// its limit gets ENOSPC and the host's disk, the layers and the other containers are untouched. (The host's
/// filesystem is ext4 without project quotas, which is what would let a plain directory carry a limit; Garden's
/// grootfs takes the same road with an XFS image.) The image is sparse: it takes host space only as the
/// container writes. Unmounting (with the rest of the container's mounts) releases the loop device; the image goes
/// with the container's directory.
/// </summary>
public static class WritableLayer
{
    /// <summary>The smallest limit: ext4's own metadata needs room, and nothing useful fits in less.</summary>
    public const long MinimumBytes = 8L * 1024 * 1024;

    /// <summary>Makes <paramref name="mountPoint"/> ready to hold the upper and work dirs.</summary>
    /// <param name="limitBytes">The size of the filesystem; 0 for none (a plain directory).</param>
    public static async Task CreateAsync(string mountPoint, string imageFile, long limitBytes, CancellationToken cancellationToken)
    {
        if (limitBytes < 0) throw new ArgumentOutOfRangeException(nameof(limitBytes), limitBytes, "a disk limit may not be negative");
        Directory.CreateDirectory(mountPoint);
        if (limitBytes == 0) return;
        if (limitBytes < MinimumBytes)
            throw new ArgumentOutOfRangeException(nameof(limitBytes), limitBytes, $"a disk limit below {MinimumBytes / (1024 * 1024)} MiB leaves no room for the filesystem");

        await using (var image = new FileStream(imageFile, FileMode.CreateNew, FileAccess.Write))
            image.SetLength(limitBytes); // sparse: no blocks until written
        // No journal: the writable layer dies with the container, so there is nothing to recover after a crash, and
        // a journal would take tens of MiB of the app's limit. No reserved blocks: the whole limit is the app's.
        // Lazy init and no discard keep mkfs from touching the (sparse) image beyond its metadata.
        var mkfs = await HostCommand.RunAsync("mkfs.ext4",
            ["-q", "-F", "-O", "^has_journal", "-m", "0", "-E", "lazy_itable_init=1,nodiscard", "-L", "platform-disk", imageFile],
            null, cancellationToken);
        if (!mkfs.Succeeded)
            throw new SandboxException($"formatting the writable layer {imageFile} failed (mkfs.ext4 from e2fsprogs): {mkfs.StandardError.Trim()}");
        // nosuid and nodev: nothing written by the container can become a set-uid program or a device on the host.
        var mount = await HostCommand.RunAsync("mount",
            ["-t", "ext4", "-o", "loop,nosuid,nodev,noatime", imageFile, mountPoint], null, cancellationToken);
        if (!mount.Succeeded)
            throw new SandboxException($"mounting the writable layer {imageFile} at {mountPoint} failed: {mount.StandardError.Trim()}");
    }

    /// <summary>The size and free space of the filesystem at the mount point, from statfs (for tests and metrics).</summary>
    public static (long SizeBytes, long AvailableBytes) Usage(string mountPoint)
    {
        var info = new DriveInfo(mountPoint);
        return (info.TotalSize, info.AvailableFreeSpace);
    }
}
