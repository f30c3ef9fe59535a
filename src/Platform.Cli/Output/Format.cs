using System.Globalization;

namespace Platform.Cli.Output;

internal static class Format
{
    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + "G",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + "M",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + "K",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + "B",
    };

    public static string Megabytes(int mb) => mb % 1024 == 0 ? $"{mb / 1024}G" : $"{mb}M";

    /// <summary>"12.3M of 128M" as cf app shows it; "-" when the cell has not reported it.</summary>
    public static string UsedOf(long? used, long? limit) =>
        used is { } u ? limit is { } l ? $"{Bytes(u)} of {Bytes(l)}" : Bytes(u) : "-";

    /// <summary>"45s", "12m3s", "5h2m", "3d4h".</summary>
    public static string Duration(long seconds) => seconds switch
    {
        < 60 => $"{seconds}s",
        < 3600 => $"{seconds / 60}m{seconds % 60}s",
        < 86400 => $"{seconds / 3600}h{seconds % 3600 / 60}m",
        _ => $"{seconds / 86400}d{seconds % 86400 / 3600}h",
    };

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}

/// <summary>Left-aligned columns separated by three spaces, like cf's tables.</summary>
internal static class Table
{
    public static void Write(TextWriter w, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, header.Count).Select(c => all.Max(r => c < r.Count ? r[c].Length : 0)).ToArray();
        foreach (var row in all)
            w.WriteLine(string.Join("   ", row.Select((cell, c) => c == row.Count - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
    }
}
