using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Api.Auth;
using Platform.Api.Dashboard;
using Platform.Api.Live;
using Platform.Api.Metrics;
using Platform.Api.Endpoints;
using Platform.Api.Logs;
using Platform.Api.OpenApi;

namespace Platform.Api;

public static class PlatformApiExtensions
{
    /// <summary>
    /// The API role's services: options ("Api"), token authentication, problem details, the first
    /// admin's bootstrap and log trimming. Needs PlatformDbContext (AddPlatformData) and an IBlobStore.
    /// </summary>
    public static IServiceCollection AddPlatformApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ApiOptions>()
            .Bind(configuration.GetSection(ApiOptions.Section))
            .PostConfigure(o =>
            {
                // platd has one top-level DataDir for every role; Api:DataDir overrides it for this role.
                if (configuration[$"{ApiOptions.Section}:{nameof(ApiOptions.DataDir)}"] is null && configuration["DataDir"] is { Length: > 0 } shared)
                    o.DataDir = shared;
            })
            .Validate(o => o.MaxUploadBytes > 0, "Api:MaxUploadBytes must be positive")
            .Validate(o => o.MaxLogLinesPerApp > 0, "Api:MaxLogLinesPerApp must be positive")
            .Validate(o => !string.IsNullOrWhiteSpace(o.AppsDomain), "Api:AppsDomain must be set");
        services.TryAddSingleton(TimeProvider.System);
        services.AddProblemDetails();
        services.AddPlatformOpenApi();
        // Bearer tokens (plat, scripts) and the dashboard's session cookie; a request is one or the other.
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, SessionCookieHandler>(SessionCookieHandler.SchemeName, null)
            .AddPolicyScheme(PlatformAuthentication.SchemeName, null, o => o.ForwardDefaultSelector = PlatformAuthentication.Select);
        services.AddAuthorizationBuilder()
            .AddPolicy(BearerTokenHandler.Policy, p => p
                .AddAuthenticationSchemes(PlatformAuthentication.SchemeName)
                .RequireAuthenticatedUser());
        services.AddScoped<LogTrimmer>();
        services.AddScoped<Access.AccessResolver>();
        services.AddScoped<Access.RequestScope>();
        services.AddScoped<Access.QuotaPolicy>();
        services.AddScoped<Access.RoleAssignments>();
        services.AddScoped<Deployments.DeploymentService>();
        services.AddScoped<Routing.DomainCatalog>();
        services.AddScoped<Routing.RouteMapper>();
        services.AddScoped<AppModel.AppWriter>();
        services.AddScoped<AppModel.ManifestApplier>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<Exec.CellExecClient>();
        services.AddSingleton<Catalog.StagerCatalogs>();
        services.AddSingleton<Live.LiveFeeds>();
        services.AddSingleton<Metrics.MetricsHistory>();
        services.AddSingleton<PostgresAppLogStream>();
        services.AddSingleton<IAppLogStream>(sp => sp.GetRequiredService<PostgresAppLogStream>());
        services.AddHostedService(sp => sp.GetRequiredService<PostgresAppLogStream>());
        services.AddHostedService<BootstrapAdmin>();
        services.AddHostedService<Routing.DefaultDomainSeeder>();
        services.AddHostedService<LogTrimService>();
        return services;
    }

    /// <summary>
    /// Maps /healthz, /v1/info, the dashboard at / and the authenticated /v1 endpoints: the caller's own (/v1/me, tokens), orgs, users,
    /// quotas and the catalog at the top, and everything of a space under /v1/spaces/{space}. Every endpoint declares its
    /// <see cref="Access.AccessRule"/>.
    /// </summary>
    public static WebApplication MapPlatformApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UsePlatformDashboardFiles();
        app.UsePlatformApiDocsHeaders();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapInfoEndpoints();
        app.MapRouteTableEndpoints();
        var v1 = app.MapGroup("/v1").RequireAuthorization(BearerTokenHandler.Policy);
        v1.AddEndpointFilter<CsrfFilter>();
        v1.MapTokensEndpoints()
            .MapSessionsEndpoints()
            .MapCellsEndpoints()
            .MapCellsLiveEndpoints()
            .MapMeEndpoints()
            .MapUsersEndpoints()
            .MapOrgsEndpoints()
            .MapQuotasEndpoints()
            .MapDomainsEndpoints()
            .MapSecurityGroupsEndpoints()
            .MapSpacesListEndpoints()
            .MapEventsEndpoints()
            .MapCatalogEndpoints();
        v1.MapGroup("/spaces/{space}")
            .MapSpaceEndpoints()
            .MapSpaceEventsEndpoints()
            .MapAppsEndpoints()
            .MapRoutesEndpoints()
            .MapManifestEndpoints()
            .MapEnvEndpoints()
            .MapDeploymentsEndpoints()
            .MapPackagesEndpoints()
            .MapBuildsEndpoints()
            .MapLogsEndpoints()
            .MapLogStreamEndpoints()
            .MapMetricsEndpoints()
            .MapSpaceLiveEndpoints()
            .MapExecEndpoints();
        app.MapPlatformApiDocs();
        app.MapPlatformDashboard();
        return app;
    }
}
