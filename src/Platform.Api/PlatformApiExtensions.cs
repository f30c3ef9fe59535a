using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Api.Auth;
using Platform.Api.Endpoints;
using Platform.Api.Logs;

namespace Platform.Api;

public static class PlatformApiExtensions
{
    /// <summary>
    /// The API role's services: options ("Api"), token authentication, problem details, the first
    /// admin's bootstrap and log trimming. Needs PlatformDbContext (AddPlatformData) and an IBlobStore.
    /// </summary>
    public static IServiceCollection AddPlatformApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ApiOptions>().Bind(configuration.GetSection(ApiOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.AddProblemDetails();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(BearerTokenHandler.Policy, p => p
                .AddAuthenticationSchemes(BearerTokenHandler.SchemeName)
                .RequireAuthenticatedUser());
        services.AddScoped<LogTrimmer>();
        services.AddHostedService<BootstrapAdmin>();
        services.AddHostedService<LogTrimService>();
        return services;
    }

    /// <summary>Maps /healthz, /v1/info and the authenticated /v1 endpoints.</summary>
    public static WebApplication MapPlatformApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapInfoEndpoints();
        var v1 = app.MapGroup("/v1").RequireAuthorization(BearerTokenHandler.Policy);
        v1.MapTokensEndpoints()
            .MapAppsEndpoints()
            .MapPackagesEndpoints()
            .MapBuildsEndpoints()
            .MapLogsEndpoints()
            .MapEventsEndpoints();
        return app;
    }
}
