using Platform.Data.Entities;

namespace Platform.Data;

/// <summary>
/// What an event is about, which decides who may read it: an app's events belong to its space; a space's or an org's
/// own events (spaces made, roles given) to that space or org; platform events (users, logins) to admins only.
/// </summary>
public readonly record struct EventSubject(Guid? AppId, Guid? SpaceId, Guid? OrgId)
{
    public static EventSubject App(AppEntity app) => new(app.Id, app.SpaceId, null);
    public static EventSubject App(Guid appId, Guid spaceId) => new(appId, spaceId, null);
    public static EventSubject Space(Guid spaceId, Guid orgId) => new(null, spaceId, orgId);
    public static EventSubject Org(Guid orgId) => new(null, null, orgId);
    public static readonly EventSubject Platform = new(null, null, null);
}

public static class EventExtensions
{
    /// <summary>
    /// Records an event (what <c>plat events</c> shows) in this context: stored by the caller's next SaveChanges, in
    /// the same transaction as the change it describes.
    /// </summary>
    public static void AddEvent(this PlatformDbContext db, EventSubject subject, string type, string actor, string description, DateTimeOffset at) =>
        db.Events.Add(new EventEntity
        {
            Id = Guid.NewGuid(),
            AppId = subject.AppId,
            SpaceId = subject.SpaceId,
            OrgId = subject.OrgId,
            Type = type,
            Actor = actor,
            Description = description,
            Timestamp = at,
        });
}
