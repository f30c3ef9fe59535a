using System.Text;
using System.Text.Json;
using Platform.Contracts.Messages;

namespace Platform.Sandbox.Network;

/// <summary>
/// One container's own egress rules (<see cref="ContainerSpec.Egress"/>) as an iptables chain of ACCEPTs, jumped to
/// from the cell's egress and input chains by the container's source address, before the cell's refusals: what a
/// rule allows passes, the rest falls through to the cell's defaults. Recorded on disk (Root/network/egress/ID)
/// before the rules are installed, so a destroy finds them by id and a new agent's host setup puts the jumps back
/// (declaring the cell's chains flushes them).
/// </summary>
public sealed record ContainerEgress(string Id, string Chain, string Address, IReadOnlyList<EgressRule> Rules)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    /// <summary>The chain's name: the prefix and the address offset (unique on the cell while the container lives).</summary>
    public static string ChainFor(string chainPrefix, uint offset) => $"{chainPrefix}-C{offset:x}";

    /// <summary>iptables match arguments of one rule, one line per port range.</summary>
    public static IEnumerable<string> Matches(EgressRule rule)
    {
        var (range, error) = EgressRule.ParseDestination(rule.Destination);
        if (error is not null || range is not { } r) throw new ArgumentException(error);
        var destination = r.PrefixLength is not null ? $"-d {r}" : $"-m iprange --dst-range {r}";
        switch (rule.Protocol)
        {
            case "all":
                yield return destination;
                break;
            case "icmp":
                yield return rule.IcmpType is { } type
                    ? $"{destination} -p icmp -m icmp --icmp-type {type}{(rule.IcmpCode is { } code ? $"/{code}" : "")}"
                    : $"{destination} -p icmp";
                break;
            default: // tcp, udp
                if (rule.Ports is null)
                {
                    yield return $"{destination} -p {rule.Protocol}";
                    break;
                }
                foreach (var (first, last) in EgressRule.ParsePorts(rule.Ports).Ranges)
                    yield return $"{destination} -p {rule.Protocol} -m {rule.Protocol} --dport {(first == last ? $"{first}" : $"{first}:{last}")}";
                break;
        }
    }

    /// <summary>The filter-table lines (for iptables-restore --noflush) that create or refill the chain.</summary>
    public void AppendChain(StringBuilder rules)
    {
        rules.AppendLine($":{Chain} - [0:0]"); // creates it, or flushes it when it exists
        foreach (var rule in Rules)
            foreach (var match in Matches(rule))
                rules.AppendLine($"-A {Chain} {match} -j ACCEPT");
    }

    /// <summary>The jump rules from the cell's chains, without the -A/-I/-D.</summary>
    public IEnumerable<(string FromChain, string Spec)> Jumps(string egressChain, string inputChain, string comment) =>
    [
        (egressChain, $"-s {Address}/32 -m comment --comment {comment} -j {Chain}"),
        (inputChain, $"-s {Address}/32 -m comment --comment {comment} -j {Chain}"),
    ];

    public static string FileOf(string directory, string id) => Path.Combine(directory, id);

    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = FileOf(directory, Id);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, Json));
        File.Move(temp, path, overwrite: true);
    }

    public static ContainerEgress? TryRead(string directory, string id)
    {
        try { return JsonSerializer.Deserialize<ContainerEgress>(File.ReadAllText(FileOf(directory, id)), Json); }
        catch (IOException) { return null; }
        catch (JsonException) { return null; }
    }

    /// <summary>Every recorded container egress under the directory (temp files and unreadable records skipped).</summary>
    public static IEnumerable<ContainerEgress> ReadAll(string directory)
    {
        if (!Directory.Exists(directory)) yield break;
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(file);
            if (name.EndsWith(".tmp", StringComparison.Ordinal)) continue;
            if (TryRead(directory, name) is { } egress) yield return egress;
        }
    }
}
