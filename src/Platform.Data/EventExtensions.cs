using Platform.Data.Entities;

namespace Platform.Data;

public static class EventExtensions
{
    /// <summary>
    /// Records an event (what <c>plat events</c> shows) in this context: stored by the caller's next SaveChanges, in
    /// the same transaction as the change it describes. <paramref name="appId"/> is null for events of no app.
    /// </summary>
    public static void AddEvent(this PlatformDbContext db, Guid? appId, string type, string actor, string description, DateTimeOffset at) =>
        db.Events.Add(new EventEntity
        {
            Id = Guid.NewGuid(),
            AppId = appId,
            Type = type,
            Actor = actor,
            Description = description,
            Timestamp = at,
        });
}
