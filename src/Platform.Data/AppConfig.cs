using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Platform.Data.Entities;

namespace Platform.Data;

/// <summary>What an instance takes from its app when it starts, besides the droplet and sizes: env, command, volumes, health check.</summary>
public static class AppConfig
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A digest of the app's env, command, volumes and health check; equal configurations have equal digests.</summary>
    public static string Digest(AppEntity app)
    {
        var canonical = JsonSerializer.Serialize(new
        {
            env = app.Env.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new[] { kv.Key, kv.Value }),
            command = app.Command,
            volumes = app.Volumes.Select(v => new[] { v.Name, v.Path }),
            health = new object?[] { app.HealthCheckType, app.HealthCheckEndpoint, app.HealthCheckTimeoutSeconds },
        }, Json);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];
    }
}
