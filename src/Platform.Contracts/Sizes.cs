using System.Globalization;
using System.Text.RegularExpressions;

namespace Platform.Contracts;

/// <summary>Parses sizes written the Cloud Foundry way: 256M, 1G, 512MB, 1024 (megabytes).</summary>
public static partial class Sizes
{
    /// <summary>Returns megabytes, or null with <paramref name="error"/> set when the text is not a positive size.</summary>
    public static int? TryParseMegabytes(string? text, out string? error)
    {
        error = null;
        var m = text is null ? null : SizeRegex().Match(text.Trim());
        if (m is null || !m.Success)
        {
            error = $"'{text}' is not a size: use a positive number with a unit, such as 256M or 1G";
            return null;
        }
        if (!long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            error = $"'{text}' is too large";
            return null;
        }
        var unit = m.Groups[2].Value.ToUpperInvariant();
        long mb = unit switch
        {
            "K" or "KB" => n / 1024,
            "G" or "GB" => n * 1024,
            "T" or "TB" => n * 1024 * 1024,
            _ => n, // "", "M", "MB"
        };
        if (mb <= 0)
        {
            error = $"'{text}' must be at least 1M";
            return null;
        }
        if (mb > int.MaxValue)
        {
            error = $"'{text}' is too large";
            return null;
        }
        return (int)mb;
    }

    [GeneratedRegex("^([0-9]{1,12})\\s*(|K|KB|M|MB|G|GB|T|TB)$", RegexOptions.IgnoreCase)]
    private static partial Regex SizeRegex();
}
