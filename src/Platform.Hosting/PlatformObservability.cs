using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Serilog;
using Serilog.Formatting.Compact;

namespace Platform.Hosting;

/// <summary>
/// What every platd serves about itself, whatever its roles: Prometheus metrics at /metrics (OpenTelemetry with the
/// Prometheus exporter, over the platform's meters and ASP.NET Core's), /healthz (the process answers) and /readyz
/// (the dependencies its roles registered health checks for, tagged <see cref="ReadyTag"/>, are reachable), and, when
/// Logging:Format=json, logs as JSON lines carrying the process's roles and host.
/// </summary>
public static class PlatformObservability
{
    /// <summary>Health checks with this tag decide /readyz: a database, the bus, the blobstore reachable.</summary>
    public const string ReadyTag = "ready";

    /// <param name="roles">The roles this process runs, as written on every JSON log line ("api,scheduler").</param>
    /// <param name="meters">The platform meters to export ("Platform.Router", ...).</param>
    public static WebApplicationBuilder AddPlatformObservability(this WebApplicationBuilder builder, string roles, IEnumerable<string> meters)
    {
        var host = Environment.MachineName.ToLowerInvariant();
        if (string.Equals(builder.Configuration["Logging:Format"], "json", StringComparison.OrdinalIgnoreCase))
        {
            // Serilog writes; Microsoft.Extensions.Logging still filters by Logging:LogLevel.
            var logger = new LoggerConfiguration()
                .MinimumLevel.Verbose()
                .Enrich.WithProperty("role", roles)
                .Enrich.WithProperty("host", host)
                .WriteTo.Console(new RenderedCompactJsonFormatter())
                .CreateLogger();
            builder.Logging.ClearProviders();
            builder.Logging.AddSerilog(logger, dispose: true);
        }
        builder.Services.AddHealthChecks();
        var meterNames = meters.ToArray();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("platd", serviceInstanceId: $"{host}-{Environment.ProcessId}")
                .AddAttributes([new("platform.roles", roles), new("host.name", host)]))
            .WithMetrics(m => m
                .AddMeter(meterNames)
                .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                .AddPrometheusExporter());
        return builder;
    }

    /// <summary>Maps /metrics, /readyz and (unless the API maps its own) /healthz; returns them for metadata.</summary>
    public static IReadOnlyList<IEndpointConventionBuilder> MapPlatformObservability(this WebApplication app, bool mapHealthz)
    {
        var endpoints = new List<IEndpointConventionBuilder>
        {
            app.MapPrometheusScrapingEndpoint("/metrics"),
            app.MapHealthChecks("/readyz", new HealthCheckOptions
            {
                Predicate = c => c.Tags.Contains(ReadyTag),
                ResponseWriter = WriteReadinessAsync,
            }),
        };
        if (mapHealthz) endpoints.Add(app.MapGet("/healthz", () => Results.Text("ok")));
        return endpoints;
    }

    /// <summary>{"status":"Healthy","checks":{"postgres":{"status":"Healthy"}, "bus": {"status":"Unhealthy","error":"..."}}}</summary>
    private static Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var checks = report.Entries.ToDictionary(e => e.Key, e => new
        {
            status = e.Value.Status.ToString(),
            error = e.Value.Exception?.Message ?? (e.Value.Status == HealthStatus.Healthy ? null : e.Value.Description),
        });
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { status = report.Status.ToString(), checks }));
    }
}
