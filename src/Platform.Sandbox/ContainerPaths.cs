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
    /// <summary>The overlay's upper dir: everything the container writes lands here.</summary>
    public string Upper => Path.Combine(Directory, "upper");
    public string Work => Path.Combine(Directory, "work");
    public string Config => Path.Combine(Directory, "config.json");
    public string State => Path.Combine(Directory, "state.json");
    public string PidFile => Path.Combine(Directory, "init.pid");
    public string RuntimeLog => Path.Combine(Directory, "runtime.log");
    public string Hosts => Path.Combine(Directory, "hosts");
    public string Hostname => Path.Combine(Directory, "hostname");
    public string ResolvConf => Path.Combine(Directory, "resolv.conf");
}
