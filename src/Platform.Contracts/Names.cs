using System.Text.RegularExpressions;

namespace Platform.Contracts;

/// <summary>Rules for names users choose, shared by the API (which enforces) and the CLI (which checks early).</summary>
public static partial class Names
{
    /// <summary>An app name must be a DNS label (RFC 1123): it becomes the first label of its route.</summary>
    public static bool IsValidAppName(string? name) =>
        name is { Length: > 0 and <= 63 } && DnsLabel().IsMatch(name);

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
