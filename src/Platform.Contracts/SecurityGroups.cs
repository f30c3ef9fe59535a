using System.Text.RegularExpressions;
using Platform.Contracts.Messages;

namespace Platform.Contracts;

/// <summary>
/// One rule of an application security group, in Cloud Foundry's JSON form:
/// <c>{"protocol":"tcp","destination":"10.0.0.0/8","ports":"443","description":"..."}</c>. <see cref="Protocol"/> tcp,
/// udp, icmp or all; <see cref="Destination"/> an IPv4 address, CIDR or range; <see cref="Ports"/> (tcp and udp) "80",
/// "8000-9000" or "80,443", absent for every port; <see cref="Type"/> and <see cref="Code"/> (icmp) absent for any.
/// Rules only allow: what no rule of an instance's groups allows falls to the cell's defaults.
/// </summary>
public sealed record SecurityGroupRule(
    string Protocol, string Destination, string? Ports = null, int? Type = null, int? Code = null, string? Description = null)
{
    /// <summary>The sandbox's form of the rule, which the scheduler puts in StartInstance.Egress.</summary>
    public EgressRule ToEgressRule() => new(Protocol, Destination, Ports, Type, Code);
}

/// <summary>Rules for security group names and rule lists, shared by the API (which enforces) and the CLI (which checks early).</summary>
public static partial class SecurityGroups
{
    public const int MaxDescriptionLength = 1024;

    /// <summary>Null when the name is acceptable, else why not.</summary>
    public static string? CheckName(string? name) =>
        name is { Length: > 0 and <= 63 } && NamePattern().IsMatch(name)
            ? null
            : $"'{name}' is not a valid security group name: use 1 to 63 letters, digits, '-', '_' and '.', starting with a letter or digit";

    /// <summary>The first problem among the rules (numbered from 0, as in the JSON), or null.</summary>
    public static string? CheckRules(IReadOnlyList<SecurityGroupRule?>? rules)
    {
        if (rules is null) return "rules must be a JSON array of rules, e.g. [{\"protocol\":\"tcp\",\"destination\":\"10.0.0.0/8\",\"ports\":\"443\"}]";
        if (rules.Count > EgressRule.MaxRules) return $"at most {EgressRule.MaxRules} rules in a security group, not {rules.Count}";
        for (var i = 0; i < rules.Count; i++)
        {
            if (rules[i] is not { } rule) return $"rule {i} is null";
            if (rule.ToEgressRule().Problem() is { } problem) return $"rule {i}: {problem.Replace("egress rule ", "")}";
            if (rule.Description is { Length: > MaxDescriptionLength })
                return $"rule {i}: description is longer than {MaxDescriptionLength} characters";
        }
        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex NamePattern();
}
