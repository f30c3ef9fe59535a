namespace Platform.Sandbox;

/// <summary>Settings of the sandbox, bound from the "Sandbox" configuration section.</summary>
public sealed class SandboxOptions
{
    public const string SectionName = "Sandbox";

    /// <summary>Where containers live: Root/containers/&lt;id&gt; holds a container's bundle, upper dir and state.</summary>
    public string Root { get; set; } = "/var/lib/platform/sandbox";

    /// <summary>The layer cache (one directory per digest). Default: "layers" beside <see cref="Root"/>.</summary>
    public string? LayersDirectory { get; set; }

    /// <summary>"auto" (crun where it can run, else runc), "crun" or "runc".</summary>
    public string Runtime { get; set; } = "auto";

    public string CrunPath { get; set; } = "/usr/bin/crun";
    public string RuncPath { get; set; } = "/usr/sbin/runc";

    /// <summary>The runtime's state root (its --root). Default /run/platform/&lt;runtime&gt;.</summary>
    public string? RuntimeStateDirectory { get; set; }

    /// <summary>
    /// A statically linked init (e.g. /usr/bin/catatonit or /usr/bin/tini-static) to run as PID 1 in front of
    /// the container's process, bind-mounted read-only. Empty: the process itself is PID 1.
    /// </summary>
    public string? InitPath { get; set; }

    /// <summary>RLIMIT_NOFILE (soft and hard) of container processes.</summary>
    public int OpenFilesLimit { get; set; } = 65536;

    public SandboxNetworkOptions Network { get; set; } = new();

    public string ResolvedLayersDirectory =>
        LayersDirectory is { Length: > 0 } d ? d : Path.Combine(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Root)) ?? "/", "layers");
}

/// <summary>The host bridge, container addresses and mapped host ports ("Sandbox:Network").</summary>
public sealed class SandboxNetworkOptions
{
    public string Bridge { get; set; } = "plat0";

    /// <summary>The containers' subnet; the bridge takes its first address, containers the rest.</summary>
    public string Subnet { get; set; } = "10.244.0.0/16";

    /// <summary>Host ports mapped to containers' ports come from this inclusive range.</summary>
    public int HostPortRangeStart { get; set; } = 61000;
    public int HostPortRangeEnd { get; set; } = 61999;

    /// <summary>Prefix of the iptables chains of this sandbox (PLATFORM-DNAT, PLATFORM-POSTROUTING, PLATFORM-FORWARD).</summary>
    public string ChainPrefix { get; set; } = "PLATFORM";

    /// <summary>Nameservers written to containers' /etc/resolv.conf. Empty: the host's, minus loopback ones.</summary>
    public List<string> Nameservers { get; set; } = [];

    /// <summary>Masquerade container traffic leaving the host through other interfaces.</summary>
    public bool AllowOutbound { get; set; } = true;
}
