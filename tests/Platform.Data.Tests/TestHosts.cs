using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Bus;
using Platform.TestSupport;

namespace Platform.Data.Tests;

/// <summary>What the test consumers received, with a patient wait (no timing is asserted).</summary>
public sealed class MessageRecorder
{
    private readonly ConcurrentQueue<object> _received = new();

    public void Record(object message) => _received.Enqueue(message);

    public IReadOnlyList<T> All<T>() => _received.OfType<T>().ToList();

    public async Task<T> WaitForAsync<T>(Func<T, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (_received.OfType<T>().FirstOrDefault(match) is { } found) return found;
            await Task.Delay(50);
        }
        throw new TimeoutException($"No matching {typeof(T).Name} arrived; received: {string.Join(", ", _received)}");
    }
}

public sealed class RecordingConsumer<T>(MessageRecorder recorder) : IConsumer<T> where T : class
{
    public Task Consume(ConsumeContext<T> context)
    {
        recorder.Record(context.Message);
        return Task.CompletedTask;
    }
}

/// <summary>A process as the server builds it: data (with or without the outbox dispatcher) and the bus.</summary>
public sealed class BusTestHost : IAsyncDisposable
{
    private readonly IHost _host;

    private BusTestHost(IHost host) => _host = host;

    public MessageRecorder Recorder => _host.Services.GetRequiredService<MessageRecorder>();
    public IServiceProvider Services => _host.Services;

    public static async Task<BusTestHost> StartAsync(
        string connectionString, bool rabbitMq, bool dispatcher, Action<IBusRegistrationConfigurator> consumers)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = connectionString,
            ["Bus:Transport"] = rabbitMq ? "RabbitMq" : "InMemory",
            ["Bus:RabbitMq:Url"] = rabbitMq ? TestEnvironment.RabbitMq : null,
            ["Outbox:DispatcherEnabled"] = dispatcher ? "true" : "false",
            ["Outbox:PollInterval"] = "00:00:00.200",
        });
        builder.Services.AddLogging();
        builder.Services.AddSingleton<MessageRecorder>();
        builder.Services.AddPlatformData(builder.Configuration);
        builder.Services.AddPlatformBus(builder.Configuration, consumers);
        var host = builder.Build();
        await host.StartAsync();
        return new BusTestHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>One migrated database for all tests of a class.</summary>
public sealed class MigratedDatabase : IAsyncLifetime
{
    private TestDatabase? _database;

    public string ConnectionString => _database?.ConnectionString ?? throw new InvalidOperationException("not initialized");

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        await using var services = DataServices.Build(_database.ConnectionString);
        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_database is not null) await _database.DisposeAsync();
    }
}

/// <summary>Deletes the durable queues and exchanges a test made on the shared broker.</summary>
public sealed class RabbitMqCleanup(params string[] names) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(TestEnvironment.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var name in names)
        {
            await channel.QueueDeleteAsync(name, ifUnused: false, ifEmpty: false);
            await channel.ExchangeDeleteAsync(name);
        }
    }
}
