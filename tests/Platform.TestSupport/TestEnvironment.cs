using Npgsql;

namespace Platform.TestSupport;

/// <summary>
/// Where the real services the integration tests need are. ./deploy/test.sh starts them and sets these
/// variables; a test that needs one and finds it unset fails with a message saying so, never skips.
/// </summary>
public static class TestEnvironment
{
    public static string Postgres => Require("PLATFORM_TEST_POSTGRES");
    public static string RabbitMq => Require("PLATFORM_TEST_RABBITMQ");
    public static string S3Url => Require("PLATFORM_TEST_S3_URL");
    /// <summary>A directory holding the debootstrapped stack rootfs (bookworm minbase), built once per machine.</summary>
    public static string StackRootfs => Require("PLATFORM_TEST_STACK_ROOTFS");

    public static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v
            ? v
            : throw new InvalidOperationException(
                $"{name} is not set: run the tests through ./deploy/test.sh, which starts the services they need.");

    /// <summary>The repository's root (the directory holding Platform.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Platform.sln"))) return d.FullName;
            throw new InvalidOperationException("Platform.sln not found above " + AppContext.BaseDirectory);
        }
    }
}

/// <summary>A fresh, empty PostgreSQL database for one test class, dropped on dispose.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public string ConnectionString { get; }
    private readonly string _name;

    private TestDatabase(string name, string connectionString)
    {
        _name = name;
        ConnectionString = connectionString;
    }

    public static async Task<TestDatabase> CreateAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using (var conn = new NpgsqlConnection(TestEnvironment.Postgres))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var csb = new NpgsqlConnectionStringBuilder(TestEnvironment.Postgres) { Database = name, Pooling = false };
        return new TestDatabase(name, csb.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var conn = new NpgsqlConnection(TestEnvironment.Postgres);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // Best effort: a leftover test database harms nothing and is gone with the test cluster.
        }
    }
}

/// <summary>API paths of the spaces tests use.</summary>
public static class TestSpaces
{
    /// <summary>/v1/spaces/{id} of the default org's space "dev", which every platform has from its first start.</summary>
    public const string Default = "/v1/spaces/00000000-0000-4000-8000-0000000000b1";
}
