namespace Platform.Sandbox;

/// <summary>One line of /proc/self/mountinfo.</summary>
internal sealed record MountInfo(string MountPoint, string FileSystemType, string Source, string SuperOptions)
{
    public static IReadOnlyList<MountInfo> ReadAll() =>
        File.ReadAllLines("/proc/self/mountinfo").Select(ParseLine).OfType<MountInfo>().ToList();

    /// <summary>Parses "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue".</summary>
    public static MountInfo? ParseLine(string line)
    {
        var parts = line.Split(' ');
        var dash = Array.IndexOf(parts, "-");
        if (parts.Length < 5 || dash < 0 || dash + 3 >= parts.Length) return null;
        return new MountInfo(Unescape(parts[4]), parts[dash + 1], Unescape(parts[dash + 2]), parts[dash + 3]);
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as \ooo octal escapes.</summary>
    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new System.Text.StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && s.Length >= i + 4 && IsOctal(s[i + 1]) && IsOctal(s[i + 2]) && IsOctal(s[i + 3]))
            {
                sb.Append((char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
