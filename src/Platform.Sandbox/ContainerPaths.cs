namespace Platform.Sandbox;

/// <summary>
/// Where a container's files live: Root/containers/&lt;id&gt;/ is its OCI bundle (config.json, rootfs/), its
/// overlay upper and work dirs, the files bind-mounted onto /etc, and its state.
/// </summary>
public sealed class ContainerPaths(string containersDirectory, string id)
{
    public string Id { get; } = id;
    public string Directory { get; } = Path.Combine(containersDirectory, id);
    public string Rootfs => Path.Combine(Directory, "rootfs");
    /// <summary>
    /// The filesystem of the writable layer: a loop-mounted, size-limited image when the spec has a disk limit,
    /// else a plain directory. Upper and work dirs must share a filesystem, so both live in it.
    /// </summary>
    public string Disk => Path.Combine(Directory, "disk");
    /// <summary>The sparse image file behind <see cref="Disk"/> when there is a disk limit.</summary>
    public string DiskImage => Path.Combine(Directory, "disk.img");
    /// <summary>The overlay's upper dir: everything the container writes lands here.</summary>
    public string Upper => Path.Combine(Disk, "upper");
    public string Work => Path.Combine(Disk, "work");
    public string Config => Path.Combine(Directory, "config.json");
    public string State => Path.Combine(Directory, "state.json");
    public string PidFile => Path.Combine(Directory, "init.pid");
    public string RuntimeLog => Path.Combine(Directory, "runtime.log");
    public string Hosts => Path.Combine(Directory, "hosts");
    public string Hostname => Path.Combine(Directory, "hostname");
    public string ResolvConf => Path.Combine(Directory, "resolv.conf");
}
