using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Contracts.Messages;
using Platform.Sandbox;

namespace Platform.Cell;

/// <summary>
/// Hands out this cell's <see cref="ReportVersion"/>s. Each agent start takes a new epoch larger than every earlier
/// one of this cell: one more than the last epoch recorded beside the cell's containers, and at least the cell's own
/// clock in milliseconds, so a cell whose disk was wiped still moves forward. Only this cell's epochs are ever compared
/// with each other, so its clock is only compared with itself.
/// </summary>
public sealed class CellReportClock
{
    public const string FileName = "cell-report-epoch";
    private long _sequence;

    public long Epoch { get; }

    public CellReportClock(IOptions<SandboxOptions> sandbox, TimeProvider time, ILogger<CellReportClock> logger)
    {
        var path = Path.Combine(sandbox.Value.Root, FileName);
        long recorded = 0;
        try
        {
            if (File.Exists(path)) long.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out recorded);
        }
        catch (IOException e) { logger.LogWarning(e, "could not read the report epoch in {Path}", path); }
        Epoch = Math.Max(recorded + 1, time.GetUtcNow().ToUnixTimeMilliseconds());
        try
        {
            Directory.CreateDirectory(sandbox.Value.Root);
            var temp = path + ".tmp";
            File.WriteAllText(temp, Epoch.ToString(CultureInfo.InvariantCulture));
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The clock alone still gives a new agent a larger epoch unless it went back meanwhile.
            logger.LogWarning(e, "could not record the report epoch in {Path}", path);
        }
    }

    /// <summary>A version later than every one handed out before.</summary>
    public ReportVersion Next() => new(Epoch, Interlocked.Increment(ref _sequence));
}
