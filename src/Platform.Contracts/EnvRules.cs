using System.Text;
using System.Text.RegularExpressions;

namespace Platform.Contracts;

/// <summary>
/// Rules for an app's environment variables, shared by the API (which refuses with 400) and the CLI (which checks
/// early): a name is a shell identifier that is not the platform's own, a value has no NUL, and all of them together
/// stay within Cloud Foundry's limit of about 130 KB, so a bad variable fails now and not as a crash loop later.
/// </summary>
public static partial class EnvRules
{
    public const int MaxTotalBytes = 130 * 1024;
    public const int MaxVariables = 1000;

    /// <summary>Names the platform sets itself: an app cannot override them.</summary>
    private static readonly string[] Reserved = ["PORT", "HOME", "PATH", "MEMORY_LIMIT", "VCAP_APPLICATION", "VCAP_SERVICES", "LANG"];

    /// <summary>Null when the name may be set, else why not.</summary>
    public static string? CheckName(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "an environment variable needs a name";
        if (name.Length > 256) return $"the environment variable name '{name[..32]}...' is longer than 256 characters";
        if (!NameRegex().IsMatch(name))
            return $"'{Printable(name)}' is not a valid environment variable name: use letters, digits and '_', not starting with a digit (no '=', spaces or NUL)";
        if (Reserved.Contains(name) || name.StartsWith("VCAP_", StringComparison.Ordinal) || name.StartsWith("CF_", StringComparison.Ordinal))
            return $"'{name}' is set by the platform and cannot be changed (names starting VCAP_ or CF_ and {string.Join(", ", Reserved)} are reserved)";
        return null;
    }

    /// <summary>Null when the variables may be the app's environment, else why not.</summary>
    public static string? Check(IReadOnlyDictionary<string, string>? env)
    {
        if (env is null) return null;
        if (env.Count > MaxVariables) return $"an app may have at most {MaxVariables} environment variables, not {env.Count}";
        long total = 0;
        foreach (var (name, value) in env)
        {
            if (CheckName(name) is { } bad) return bad;
            if (value is null) return $"the environment variable {name} has no value (use unset-env to remove it)";
            if (value.Contains('\0')) return $"the value of {name} contains a NUL character";
            total += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value) + 2;
            if (total > MaxTotalBytes) return $"the environment variables are larger than {MaxTotalBytes / 1024} KB in all";
        }
        return null;
    }

    private static string Printable(string s) => s.Replace("\0", "\\0", StringComparison.Ordinal);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex NameRegex();
}
