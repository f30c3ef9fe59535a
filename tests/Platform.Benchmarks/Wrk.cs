using System.Globalization;
using System.Text.RegularExpressions;
using Platform.TestSupport;

namespace Platform.Benchmarks;

/// <summary>One wrk run: requests per second and latency percentiles, and whether anything failed.</summary>
public sealed record WrkResult(double Rps, double P50Ms, double P99Ms, long Errors);

/// <summary>Runs Debian's wrk (one thread, keep-alive connections) and reads its --latency report.</summary>
public static partial class Wrk
{
    public static async Task<WrkResult> RunAsync(string url, string? host, int connections, TimeSpan duration)
    {
        var args = new List<string> { "-t1", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "--latency" };
        if (host is not null) args.AddRange(["-H", $"Host: {host}"]);
        args.Add(url + "/");
        var result = await CommandResult.RunAsync("wrk", args, timeout: duration + TimeSpan.FromMinutes(1));
        if (result.ExitCode != 0) throw new InvalidOperationException("wrk failed: " + result);
        var output = result.Stdout;
        var errors = Count(NonSuccess(), output) + SocketErrors().Matches(output)
            .Sum(m => m.Groups.Cast<Group>().Skip(1).Sum(g => long.Parse(g.Value, CultureInfo.InvariantCulture)));
        return new WrkResult(
            double.Parse(Rps().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            Latency(output, "50%"),
            Latency(output, "99%"),
            errors);
    }

    private static long Count(Regex regex, string output) =>
        regex.Match(output) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

    private static double Latency(string output, string percentile)
    {
        var m = Regex.Match(output, $@"^\s+{Regex.Escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!m.Success) throw new InvalidOperationException($"no {percentile} latency in wrk's output:\n{output}");
        var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => value / 1000, "ms" => value, _ => value * 1000 };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex Rps();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex NonSuccess();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();
}
