using Platform.Contracts;
using Platform.Contracts.Messages;
using Platform.Sandbox;

namespace Platform.Cell.Volumes;

/// <summary>
/// Named persistent volumes on this cell: each is a directory <c>Cell:VolumesRoot/SPACE-GUID/NAME</c> (names are per
/// space: two spaces' "data" are two directories), created on first use owned by the app user
/// (<c>Cell:VolumeUid</c>:<c>Cell:VolumeGid</c>, Cloud Foundry's vcap 2000:2000) and bind-mounted read-write at the
/// path the app asked for. The directory is never removed with an instance, so its files survive restarts and
/// restaging on this cell; apps that name the same volume share it, as apps bound to one service instance do.
/// </summary>
public static class InstanceVolumes
{
    /// <summary>
    /// The directory of the default space's volumes: before the platform had spaces every volume lived here, and the
    /// tenancy migration moved every app into the default space, so its volumes keep their files.
    /// </summary>
    public const string DefaultSpaceDirectory = "default";

    public static string DirectoryOf(CellOptions options, Guid spaceId, string name)
    {
        if (Platform.Contracts.Volumes.CheckName(name) is not null)
            throw new ArgumentException($"'{name}' is not a valid volume name", nameof(name));
        if (spaceId == Guid.Empty) throw new ArgumentException("a volume belongs to a space", nameof(spaceId));
        var space = spaceId == Platform.Contracts.Tenancy.DefaultSpaceId ? DefaultSpaceDirectory : spaceId.ToString("N");
        return Path.Combine(options.VolumesRoot, space, name);
    }

    /// <summary>Creates the instance's volume directories as needed and returns their bind mounts.</summary>
    /// <exception cref="ArgumentException">A volume's name or path breaks the rules (the API checks them first).</exception>
    public static IReadOnlyList<BindMount> Prepare(StartInstance start, CellOptions options)
    {
        if (start.Volumes is not { Count: > 0 } volumes) return [];
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("volumes are Linux bind mounts");
        if (Platform.Contracts.Volumes.CheckList(volumes) is { } error) throw new ArgumentException(error);
        // A StartInstance from before spaces existed is of the default space.
        var spaceId = start.Space?.SpaceId ?? Platform.Contracts.Tenancy.DefaultSpaceId;
        var mounts = new List<BindMount>();
        foreach (var v in volumes)
        {
            var dir = DirectoryOf(options, spaceId, v.Name);
            if (!Directory.Exists(dir))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
                var temp = $"{dir}.{Guid.NewGuid():N}.tmp";
                // Created under a temporary name and renamed: a concurrent first use never sees it half set up.
                Directory.CreateDirectory(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                                                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
                if (Chown(temp, options.VolumeUid, options.VolumeGid) != 0)
                    throw new IOException($"could not give volume directory {dir} to {options.VolumeUid}:{options.VolumeGid}");
                try { Directory.Move(temp, dir); }
                catch (IOException) when (Directory.Exists(dir)) { Directory.Delete(temp); }
            }
            mounts.Add(new BindMount(dir, Platform.Contracts.Volumes.NormalizePath(v.Path), ReadOnly: false));
        }
        return mounts;
    }

    private static unsafe int Chown(string path, uint uid, uint gid)
    {
        fixed (byte* p = System.Text.Encoding.UTF8.GetBytes(path + "\0")) return Tmds.Linux.LibC.chown(p, uid, gid);
    }
}
