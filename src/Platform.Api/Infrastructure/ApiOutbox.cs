using System.Text.Json;
using Platform.Data;
using Platform.Data.Outbox;

namespace Platform.Api.Infrastructure;

/// <summary>
/// Adds a bus message to the outbox of the context's pending changes, so it is stored by the same
/// SaveChanges as the change that caused it and dispatched afterwards.
/// </summary>
public static class ApiOutbox
{
    public static void Add(PlatformDbContext db, object message, string? queue, DateTimeOffset now) =>
        db.OutboxMessages.Add(new OutboxMessage
        {
            MessageType = message.GetType().FullName!,
            Queue = queue,
            Body = JsonSerializer.Serialize(message, message.GetType()),
            CreatedAt = now,
        });
}
