using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Endpoints;

internal static class AppEvents
{
    public static void Add(PlatformDbContext db, Guid? appId, string type, string actor, string description, DateTimeOffset now) =>
        db.Events.Add(new EventEntity
        {
            Id = Guid.NewGuid(),
            AppId = appId,
            Type = type,
            Actor = actor,
            Description = description,
            Timestamp = now,
        });
}
