using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Access;
using Platform.Api.Catalog;
using Platform.Api.Infrastructure;
using Platform.Api.Routing;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Manifests;

namespace Platform.Api.AppModel;

/// <summary>
/// Applies a manifest to a space, as Cloud Foundry's apply_manifest: creates the apps it names that do not exist,
/// sets the settings it gives on those that do (what it leaves out stays), merges its env into the app's, and maps its
/// routes (<c>no-route</c> unmaps them all; an app with no routes gets its default one, or a random one). All apps or
/// none: it runs in one transaction, which a dry run rolls back, so "what would change" is what applying changes.
/// A refusal says where: the manifest's line and key, and as problem extensions the app, the key and the route's
/// index, so plat can point at the line of its own file.
/// </summary>
public sealed class ManifestApplier(PlatformDbContext db, AppWriter apps, RouteMapper routes, StagerCatalogs catalogs)
{
    public async Task<(ManifestApplyResponse? Response, ApiError? Error)> ApplyAsync(
        SpaceAccess space, Manifest manifest, string source, string actor, bool dryRun, CancellationToken ct)
    {
        var results = new List<ManifestAppResult>();
        var warnings = new List<string>();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        foreach (var app in manifest.Applications)
        {
            var (result, error) = await ApplyAsync(space, app, source, actor, warnings, ct);
            if (error is not null) return (null, error); // disposing the transaction rolls back every app
            results.Add(result!);
        }
        if (dryRun) await transaction.RollbackAsync(ct);
        else await transaction.CommitAsync(ct);
        return (new ManifestApplyResponse(results, warnings), null);
    }

    private async Task<(ManifestAppResult?, ApiError?)> ApplyAsync(
        SpaceAccess space, ManifestApp manifest, string source, string actor, List<string> warnings, CancellationToken ct)
    {
        ApiError At(ApiError error, string? key, int? route = null)
        {
            var line = route is { } i ? manifest.Routes![i].Line : key is null ? manifest.Line : manifest.LineOf(key);
            var where = key is null ? $"app {manifest.Name}" : $"{key} (app {manifest.Name})";
            return error with
            {
                Detail = $"{source}:{line}: {where}: {error.Detail}",
                Extensions = new Dictionary<string, object?> { ["app"] = manifest.Name, ["key"] = key, ["route"] = route, ["reason"] = error.Detail },
            };
        }

        if (manifest.Stack is { } stack)
        {
            if (!catalogs.AnyStager)
                warnings.Add($"{source}:{manifest.LineOf(ManifestKeys.Stack)}: stack (app {manifest.Name}): no stager has reported its stacks yet, so '{stack}' is not checked");
            else if (catalogs.Stacks().All(s => s.Name != stack))
                return (null, At(ApiError.Unprocessable("Unknown stack",
                    $"the platform has no stack '{stack}': it has {string.Join(", ", catalogs.Stacks().Select(s => s.Name))}"), ManifestKeys.Stack));
        }
        var targets = new List<RouteTarget>();
        for (var i = 0; i < (manifest.Routes?.Count ?? 0); i++)
        {
            var route = manifest.Routes![i];
            var (target, error) = await routes.ResolveUrlAsync(space, route.Route, route.Protocol, ct);
            if (error is not null) return (null, At(error, "routes.route", i));
            targets.Add(target!);
        }

        var existing = await db.Apps.FirstOrDefaultAsync(a => a.SpaceId == space.Space.Id && a.Name == manifest.Name, ct);
        var request = Request(manifest, existing);
        var changes = new List<string>();
        AppEntity app;
        if (existing is null)
        {
            var choice = new AppWriter.RouteChoice(None: manifest.NoRoute == true, Random: manifest.RandomRoute == true,
                Routes: manifest.Routes is null ? null : targets);
            for (var i = 0; i < targets.Count; i++)
                if (await routes.CheckAvailableAsync(space, null, targets[i], ct) is { } taken) return (null, At(taken, "routes.route", i));
            var (created, urls, error) = await apps.CreateAsync(space, request, choice, actor, ct);
            if (error is not null) return (null, At(error, null));
            app = created!;
            changes.Add($"create: instances {app.Instances}, memory {app.MemoryMb}M, disk {app.DiskMb}M");
            changes.AddRange(AppWriter.EnvChanges(new Dictionary<string, string>(), app.Env));
            changes.AddRange(urls.Select(u => $"route {u} mapped"));
        }
        else
        {
            app = existing;
            var (updated, error) = await apps.UpdateAsync(space, app, request, actor, ct);
            if (error is not null) return (null, At(error, null));
            changes.AddRange(updated);
            if (manifest.NoRoute == true)
                changes.AddRange((await routes.UnmapAllAsync(app, actor, ct)).Select(u => $"route {u} unmapped"));
            else
            {
                if (manifest.Routes is null && !await db.Routes.AnyAsync(r => r.AppId == app.Id, ct))
                    targets.Add(manifest.RandomRoute == true ? await routes.RandomAsync(app.Name, ct) : await routes.DefaultAsync(app.Name, ct));
                for (var i = 0; i < targets.Count; i++)
                {
                    var (mapped, mapError) = await routes.MapAsync(space, app, targets[i], actor, ct);
                    if (mapError is not null) return (null, manifest.Routes is null ? At(mapError, null) : At(mapError, "routes.route", i));
                    if (mapped) changes.Add($"route {targets[i].Url} mapped{(targets[i].Protocol is { } p ? $" ({p})" : "")}");
                }
            }
        }
        return (new ManifestAppResult(app.Name, existing is null, changes, await apps.RestartRequiredAsync(app, ct)), null);
    }

    /// <summary>The manifest's settings as a PATCH of the app: what it leaves out stays; its env is merged into the app's.</summary>
    private static AppRequest Request(ManifestApp m, AppEntity? existing)
    {
        Dictionary<string, string>? env = null;
        if (m.Env is not null)
        {
            env = new Dictionary<string, string>(existing?.Env ?? new Dictionary<string, string>());
            foreach (var (k, v) in m.Env) env[k] = v;
        }
        // buildpacks: [] asks for detection again, as cf push does.
        var buildpack = m.Buildpacks is null ? null : m.Buildpacks.Count == 0 ? "" : m.Buildpacks[0];
        return new AppRequest(m.Name, m.Instances, m.Memory, m.DiskQuota, buildpack, m.Command, env, m.Volumes?.ToList(),
            m.HealthCheckType, m.HealthCheckHttpEndpoint, m.Timeout);
    }

    /// <summary>The app as a manifest (plat create-app-manifest): pushing it gives the same app.</summary>
    public async Task<Manifest> ManifestOfAsync(AppEntity app, CancellationToken ct)
    {
        var mapped = await routes.OfAppAsync(app.Id, ct);
        return new Manifest([new ManifestApp
        {
            Name = app.Name,
            Instances = app.Instances,
            Memory = Size(app.MemoryMb),
            DiskQuota = Size(app.DiskMb),
            Buildpacks = app.Buildpack is { } b ? [b] : null,
            Command = app.Command,
            HealthCheckType = app.HealthCheckType,
            HealthCheckHttpEndpoint = app.HealthCheckType == Platform.Contracts.HealthChecks.Http ? app.HealthCheckEndpoint : null,
            Timeout = app.HealthCheckTimeoutSeconds,
            NoRoute = mapped.Count == 0 ? true : null,
            Routes = mapped.Count == 0 ? null : mapped.Select(r => new ManifestRoute(r.Url, r.Protocol == Platform.Contracts.RouteRules.Http2 ? r.Protocol : null)).ToList(),
            Env = app.Env.Count == 0 ? null : app.Env,
            Volumes = app.Volumes.Count == 0 ? null : app.Volumes,
        }]);
    }

    private static string Size(int mb) => mb % 1024 == 0 ? (mb / 1024).ToString(CultureInfo.InvariantCulture) + "G" : mb.ToString(CultureInfo.InvariantCulture) + "M";
}
