namespace Platform.Data.Outbox;

/// <summary>
/// A bus message written in the same transaction as the database change that caused it; the
/// <see cref="OutboxDispatcher"/> hands it to the bus afterwards and deletes it. A crash in between
/// sends it again later, so every consumer is idempotent.
/// </summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }
    /// <summary>Assembly-qualified-enough CLR type name of the message (resolved from Platform.Contracts).</summary>
    public required string MessageType { get; set; }
    /// <summary>Queue to send to, or null to publish.</summary>
    public string? Queue { get; set; }
    public required string Body { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public int Attempts { get; set; }
    /// <summary>Not handed to the bus before this time (the back-off after a failed attempt); null = at once.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }
    /// <summary>Why the last attempt failed, for operators.</summary>
    public string? LastError { get; set; }
}
