using System.Globalization;
using System.Text.RegularExpressions;

namespace Platform.Cluster.Tests;

/// <summary>One sample of the Prometheus text exposition format: name{labels} value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A strict reader of the Prometheus text format (version 0.0.4): # HELP and # TYPE lines, then samples; anything else
/// is an error, so a role that serves something that is not Prometheus text fails the test that scrapes it.
/// </summary>
public static partial class PrometheusText
{
    public static (IReadOnlyDictionary<string, string> Types, IReadOnlyList<PrometheusSample> Samples) Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<PrometheusSample>();
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                var meta = Meta().Match(line);
                if (!meta.Success)
                {
                    if (line.StartsWith("# EOF", StringComparison.Ordinal) || !line.StartsWith("# HELP", StringComparison.Ordinal) && !line.StartsWith("# TYPE", StringComparison.Ordinal)) continue;
                    throw new FormatException($"line {lineNumber}: bad metadata: {line}");
                }
                if (meta.Groups[1].Value == "TYPE")
                {
                    var type = meta.Groups[3].Value.Trim();
                    if (type is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
                        throw new FormatException($"line {lineNumber}: unknown type '{type}'");
                    types[meta.Groups[2].Value] = type;
                }
                continue;
            }
            var sample = Sample().Match(line);
            if (!sample.Success) throw new FormatException($"line {lineNumber}: not a sample: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in Label().Matches(sample.Groups[2].Value))
                labels[label.Groups[1].Value] = label.Groups[2].Value.Replace("\\\"", "\"").Replace("\\n", "\n").Replace("\\\\", "\\");
            var value = sample.Groups[3].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add(new PrometheusSample(sample.Groups[1].Value, labels, value));
        }
        return (types, samples);
    }

    [GeneratedRegex(@"^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$")]
    private static partial Regex Meta();

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*=""(?:[^""\\]|\\.)*"",?)*)\})? ([-+]?(?:[0-9.]+(?:[eE][-+]?[0-9]+)?|Inf|NaN))(?: -?[0-9]+)?$")]
    private static partial Regex Sample();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();
}
