using Microsoft.EntityFrameworkCore;
using Platform.Api.Access;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Endpoints;

/// <summary>Finds an app by name in the space of the request: app names are unique only within a space.</summary>
internal static class Apps
{
    public static Task<AppEntity?> FindAsync(PlatformDbContext db, RequestScope scope, string name, CancellationToken ct, bool tracking = true)
    {
        var spaceId = scope.Space.Space.Id;
        var apps = tracking ? db.Apps : db.Apps.AsNoTracking();
        return apps.FirstOrDefaultAsync(a => a.SpaceId == spaceId && a.Name == name, ct);
    }

    /// <summary>The app's id, or null when the space has no app of that name.</summary>
    public static Task<Guid?> IdAsync(PlatformDbContext db, RequestScope scope, string name, CancellationToken ct)
    {
        var spaceId = scope.Space.Space.Id;
        return db.Apps.Where(a => a.SpaceId == spaceId && a.Name == name).Select(a => (Guid?)a.Id).FirstOrDefaultAsync(ct);
    }
}
