namespace Platform.Data.Outbox;

public static class OutboxExtensions
{
    /// <summary>
    /// Adds <paramref name="message"/> to the outbox of this context: it is stored by the caller's next
    /// SaveChanges, in the same transaction as the change that caused it, and handed to the bus after the
    /// commit (sent to <paramref name="queue"/> when given, else published). A rolled-back transaction
    /// sends nothing; a crash after the commit sends it later. The message must be a Platform.Contracts type.
    /// </summary>
    public static OutboxMessage AddToOutbox(this PlatformDbContext db, object message, string? queue = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (queue is not null && string.IsNullOrWhiteSpace(queue))
            throw new ArgumentException("A queue name must not be blank; pass null to publish.", nameof(queue));
        var (type, body) = OutboxSerializer.Serialize(message);
        var row = new OutboxMessage
        {
            MessageType = type,
            Queue = queue,
            Body = body,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        db.OutboxMessages.Add(row);
        return row;
    }
}
