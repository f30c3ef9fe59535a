namespace Platform.Contracts.Messages;

/// <summary>
/// A line of an app's log stream. <paramref name="Source"/> is the Cloud Foundry source type:
/// "APP/PROC/WEB", "STG", "RTR", "CELL", "API"; with <paramref name="SourceIndex"/> it renders as
/// <c>[APP/PROC/WEB/0] OUT text</c>. <paramref name="Stream"/> is "OUT" or "ERR".
/// </summary>
public sealed record LogEntry(DateTimeOffset Timestamp, string Source, int SourceIndex, string Stream, string Text);

/// <summary>Lines of one app's logs, batched by the cell that captured them.</summary>
public sealed record LogBatch(Guid AppId, IReadOnlyList<LogEntry> Entries);

