namespace Platform.TestSupport;

/// <summary>
/// A RabbitMQ virtual host of its own for one test (on the broker of PLATFORM_TEST_RABBITMQ), so that the fixed queue
/// names of the platform's roles never meet another test run's. Made with rabbitmqctl (the tests run as root beside
/// the broker); deleted with everything in it on dispose.
/// </summary>
public sealed class TestRabbitMq : IAsyncDisposable
{
    public string VirtualHost { get; }
    /// <summary>PLATFORM_TEST_RABBITMQ with this virtual host as its path.</summary>
    public string Url { get; }

    private TestRabbitMq(string virtualHost, string url)
    {
        VirtualHost = virtualHost;
        Url = url;
    }

    public static async Task<TestRabbitMq> CreateAsync()
    {
        var broker = new UriBuilder(TestEnvironment.RabbitMq);
        var user = Uri.UnescapeDataString(broker.UserName);
        var vhost = "test-" + Guid.NewGuid().ToString("N")[..12];
        await RunAsync("add_vhost", vhost);
        await RunAsync("set_permissions", "-p", vhost, user, ".*", ".*", ".*");
        broker.Path = "/" + vhost;
        return new TestRabbitMq(vhost, broker.Uri.ToString());
    }

    private static async Task RunAsync(params string[] args)
    {
        var result = await CommandResult.RunAsync("rabbitmqctl", ["-q", .. args], timeout: TimeSpan.FromSeconds(60));
        if (result.ExitCode != 0) throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} failed: {result}");
    }

    public async ValueTask DisposeAsync()
    {
        try { await RunAsync("delete_vhost", VirtualHost); }
        catch (InvalidOperationException) { } // the broker may be gone at the end of a run
    }
}
