using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;

namespace Platform.Api.Access;

/// <summary>
/// Who may call an endpoint. Every endpoint the API maps carries exactly one rule as metadata, so the rule is checked
/// where the endpoint is declared and a test can walk every endpoint and try each kind of caller against it.
/// </summary>
public abstract record AccessRule;

/// <summary>No credentials needed (login, /v1/info, /healthz).</summary>
public sealed record AnonymousAccess : AccessRule;

/// <summary>Any signed-in user (their own tokens, the orgs they see, the buildpack catalog).</summary>
public sealed record AnyUserAccess : AccessRule;

/// <summary>Platform admins only (orgs, users, org quotas, cells).</summary>
public sealed record AdminAccess : AccessRule;

/// <summary>
/// The platform's own routers, with their credential (Api:RouterToken), not a user's token: the endpoint checks it
/// itself, and every user, admins included, gets 401 there.
/// </summary>
public sealed record RouterCredentialAccess : AccessRule;

/// <summary>A caller with a role in the org of the route's {org} that allows <see cref="Action"/>.</summary>
public sealed record OrgAccessRule(OrgAction Action) : AccessRule;

/// <summary>A caller with a role in the space of the route's {space} that allows <see cref="Action"/>.</summary>
public sealed record SpaceAccessRule(SpaceAction Action) : AccessRule;

/// <summary>What the access filters found, for the endpoint to use: the space or org of the route, as the caller reaches it.</summary>
public sealed class RequestScope
{
    public SpaceAccess? SpaceAccess { get; set; }
    public OrgAccess? OrgAccess { get; set; }

    public SpaceAccess Space => SpaceAccess ?? throw new InvalidOperationException("the endpoint has no space access rule");
    public OrgAccess Org => OrgAccess ?? throw new InvalidOperationException("the endpoint has no org access rule");
}

public static class AccessRuleExtensions
{
    public const string SpaceRouteValue = "space";
    public const string OrgRouteValue = "org";

    // Each rule also declares the problem responses it answers itself (for the OpenAPI document): 401 without valid
    // credentials, 403 for a caller the rule refuses, 404 for a space or org the caller has no role in.

    /// <summary>Any endpoint (the OpenAPI document and its reference page too, which are not route handlers).</summary>
    public static TBuilder Anonymous<TBuilder>(this TBuilder endpoint) where TBuilder : IEndpointConventionBuilder =>
        endpoint.AllowAnonymous().WithMetadata(new AnonymousAccess());

    public static RouteHandlerBuilder AnyUser(this RouteHandlerBuilder endpoint) =>
        endpoint.WithMetadata(new AnyUserAccess()).ProducesProblem(StatusCodes.Status401Unauthorized);

    /// <summary>Outside the user-token policy: the endpoint checks the router credential itself.</summary>
    public static RouteHandlerBuilder RouterOnly(this RouteHandlerBuilder endpoint) =>
        endpoint.AllowAnonymous().WithMetadata(new RouterCredentialAccess()).ProducesProblem(StatusCodes.Status401Unauthorized);

    public static RouteHandlerBuilder AdminOnly(this RouteHandlerBuilder endpoint) =>
        endpoint.WithMetadata(new AdminAccess()).Refusals(forbidden: true, notFound: false).AddEndpointFilter(async (context, next) =>
        {
            var user = context.HttpContext.User;
            if (!user.IsAdmin())
                return ApiProblems.Forbidden($"only platform admins may do this; {user.UserName()} is not one");
            if (user.TokenSpace() is not null)
                return ApiProblems.Forbidden("this token is narrowed to one space: platform-wide changes need a token that is not");
            return await next(context);
        });

    public static RouteHandlerBuilder InOrg(this RouteHandlerBuilder endpoint, OrgAction action) =>
        endpoint.WithMetadata(new OrgAccessRule(action)).Refusals(forbidden: action != OrgAction.Read, notFound: true).AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var raw = http.Request.RouteValues[OrgRouteValue] as string;
            var access = Guid.TryParse(raw, out var orgId)
                ? await http.RequestServices.GetRequiredService<AccessResolver>().OrgAsync(http.User, orgId, http.RequestAborted)
                : null;
            if (access is null) return ApiProblems.NotFound("Org not found", $"org '{raw}' not found");
            if (!access.Allows(action))
                return ApiProblems.Forbidden(
                    $"{Needed(Permissions.RolesFor(action))} is needed to {Permissions.Describe(action)} in org {access.Org.Name}; " +
                    $"{http.User.UserName()} has {Has(access.Roles)}");
            if (action != OrgAction.Read && http.User.TokenSpace() is not null)
                return ApiProblems.Forbidden("this token is narrowed to one space: it cannot manage the org");
            http.RequestServices.GetRequiredService<RequestScope>().OrgAccess = access;
            return await next(context);
        });

    public static RouteHandlerBuilder InSpace(this RouteHandlerBuilder endpoint, SpaceAction action) =>
        endpoint.WithMetadata(new SpaceAccessRule(action)).Refusals(forbidden: action != SpaceAction.Read, notFound: true).AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var raw = http.Request.RouteValues[SpaceRouteValue] as string;
            var access = Guid.TryParse(raw, out var spaceId)
                ? await http.RequestServices.GetRequiredService<AccessResolver>().SpaceAsync(http.User, spaceId, http.RequestAborted)
                : null;
            if (access is null) return ApiProblems.NotFound("Space not found", $"space '{raw}' not found");
            if (!access.Allows(action))
                return ApiProblems.Forbidden(
                    $"{Needed(Permissions.RolesFor(action))} is needed to {Permissions.Describe(action)} in space " +
                    $"{access.Org.Name}/{access.Space.Name}; {http.User.UserName()} has {Has(access.Roles)}");
            http.RequestServices.GetRequiredService<RequestScope>().SpaceAccess = access;
            return await next(context);
        });

    /// <summary>Every role in a space or org may read it: only a change can be forbidden, a stranger gets 404.</summary>
    private static RouteHandlerBuilder Refusals(this RouteHandlerBuilder endpoint, bool forbidden, bool notFound)
    {
        endpoint.ProducesProblem(StatusCodes.Status401Unauthorized);
        if (forbidden) endpoint.ProducesProblem(StatusCodes.Status403Forbidden);
        return notFound ? endpoint.ProducesProblem(StatusCodes.Status404NotFound) : endpoint;
    }

    private static string Needed(IReadOnlyList<string> roles) =>
        roles.Count == 1 ? $"the role {roles[0]} (or platform admin)" : $"one of the roles {string.Join(", ", roles)} (or platform admin)";

    private static string Has(IReadOnlyList<string> roles) => roles.Count == 0 ? "no role here" : string.Join(", ", roles);
}
