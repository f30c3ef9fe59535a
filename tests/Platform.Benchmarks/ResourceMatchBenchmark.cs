using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Platform.TestSupport;

namespace Platform.Benchmarks;

/// <summary>
/// Resource matching: a 50 MB static site (50 files of 1 MiB of random bytes) pushed with plat, then pushed again with
/// one file changed. Prints the bytes plat sent each time (its "Uploaded X for APP: N of M files sent" line) beside the
/// app's size: the re-push should send about the one changed file.
/// </summary>
public static partial class ResourceMatchBenchmark
{
    public sealed record Row(string What, long AppBytes, long SentBytes, int FilesSent, int Files, double Seconds);

    public static async Task<List<Row>> RunAsync()
    {
        await using var platd = await PlatdProcess.StartAsync(subnetOctet: 239);
        var dir = Directory.CreateTempSubdirectory("resource-match-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "Staticfile"), "");
            await File.WriteAllTextAsync(Path.Combine(dir, "index.html"), "<h1>resource matching</h1>\n");
            for (var i = 0; i < 50; i++)
                await File.WriteAllBytesAsync(Path.Combine(dir, $"blob-{i:D2}.bin"), RandomNumberGenerator.GetBytes(1024 * 1024));
            var size = Directory.GetFiles(dir).Sum(f => new FileInfo(f).Length);

            var rows = new List<Row> { await PushAsync(platd, dir, "first push", size) };
            await File.WriteAllBytesAsync(Path.Combine(dir, "blob-07.bin"), RandomNumberGenerator.GetBytes(1024 * 1024));
            rows.Add(await PushAsync(platd, dir, "re-push, one 1 MiB file changed", size));
            rows.Add(await PushAsync(platd, dir, "re-push, nothing changed", size));
            return rows;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<Row> PushAsync(PlatdProcess platd, string dir, string what, long size)
    {
        var began = System.Diagnostics.Stopwatch.GetTimestamp();
        var push = await platd.PlatAsync(["push", "matched", "-p", dir, "-m", "64M"], timeout: TimeSpan.FromMinutes(5));
        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(began).TotalSeconds;
        if (push.ExitCode != 0) throw new InvalidOperationException($"push failed: {push}");
        var sent = Uploaded().Match(push.Stdout);
        return sent.Success
            ? new Row(what, size, ParseBytes(sent.Groups[1].Value), int.Parse(sent.Groups[2].Value), int.Parse(sent.Groups[3].Value), seconds)
            : new Row(what, size, 0, 0, 0, seconds); // "Files of matched unchanged": nothing uploaded
    }

    /// <summary>plat's sizes: "1.0M", "512K", "300B".</summary>
    private static long ParseBytes(string text)
    {
        var unit = text[^1];
        var number = double.Parse(text[..^1], System.Globalization.CultureInfo.InvariantCulture);
        return (long)(number * unit switch { 'K' => 1024, 'M' => 1024 * 1024, 'G' => 1024 * 1024 * 1024, _ => 1 });
    }

    [GeneratedRegex(@"Uploaded (\S+) for \S+: (\d+) of (\d+) files sent")]
    private static partial Regex Uploaded();
}
