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

    /// <summary>Most processes and threads of a container whose spec sets no PidsLimit (a fork bomb stops here).</summary>
    public long DefaultPidsLimit { get; set; } = 1024;

    /// <summary>Hard CPU cap, in percent of one core, of containers whose spec sets none. 0: no cap (weights only).</summary>
    public int CpuQuotaPercent { get; set; }

    /// <summary>
    /// conmon, the monitor that holds each container's stdio and exit status, so containers outlive the process
    /// that started them (see docs/sandbox.md, "How a cell restart is survived").
    /// </summary>
    public string ConmonPath { get; set; } = "/usr/bin/conmon";

    /// <summary>Size at which the monitor starts a container's log file afresh (the reader follows it). 0: never.</summary>
    public long LogSizeMaxBytes { get; set; } = 16 * 1024 * 1024;

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

    /// <summary>
    /// Prefix of the iptables chains of this sandbox (PLAT0-DNAT, PLAT0-FORWARD, ...). Empty: the bridge's name in
    /// capitals, so that two cells on one host (each with its own bridge) never share or flush each other's chains.
    /// </summary>
    public string ChainPrefix { get; set; } = "";

    /// <summary>The prefix in use: <see cref="ChainPrefix"/>, or the bridge's name in capitals when that is empty.</summary>
    public string EffectiveChainPrefix => ChainPrefix is { Length: > 0 } p ? p : Bridge.ToUpperInvariant();

    /// <summary>Nameservers written to containers' /etc/resolv.conf. Empty: the host's, minus loopback ones.</summary>
    public List<string> Nameservers { get; set; } = [];

    /// <summary>Masquerade container traffic leaving the host through other interfaces.</summary>
    public bool AllowOutbound { get; set; } = true;

    /// <summary>
    /// Destinations containers may not reach (the platform's own networks): CIDRs. The host's own addresses and the
    /// other containers on the bridge are always denied. Default: loopback, link-local and the private ranges.
    /// </summary>
    public List<string> DeniedNetworks { get; set; } =
        ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8"];

    /// <summary>
    /// The operator's exceptions, checked before any denial: "CIDR" or "CIDR:PORT" or "CIDR:LOW-HIGH" (TCP and UDP),
    /// e.g. "10.0.5.10/32:5432" for a database, or the bridge address and the router's port for app-to-app calls
    /// through the router.
    /// </summary>
    public List<string> AllowedNetworks { get; set; } = [];
}
