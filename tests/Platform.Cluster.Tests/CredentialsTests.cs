using System.Text.RegularExpressions;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Xunit.Abstractions;

namespace Platform.Cluster.Tests;

/// <summary>Each role gets only the secrets it needs, and its RabbitMQ user may do only what its role does.</summary>
[Collection(ClusterCollection.Name)]
public sealed class CredentialsTests(ClusterFixture cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task The_router_host_holds_no_database_connection_string()
    {
        var edge = Path.Combine(cluster.Dir, "hosts", "edge");
        var settings = await File.ReadAllTextAsync(Path.Combine(edge, "router.ini"));
        var pgPassword = (await File.ReadAllTextAsync(Path.Combine(cluster.Dir, "secrets", "pg"))).Trim();
        Assert.DoesNotContain("ConnectionStrings", settings);
        Assert.DoesNotContain(pgPassword, settings);
        // Nor in what the running process was given (arguments, environment).
        var pid = (await File.ReadAllTextAsync(Path.Combine(edge, "router.pid"))).Trim();
        var cmdline = (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")).Replace('\0', ' ');
        var environ = (await File.ReadAllTextAsync($"/proc/{pid}/environ")).Replace('\0', '\n');
        Assert.Contains("--roles router", cmdline);
        Assert.DoesNotContain(pgPassword, cmdline);
        Assert.DoesNotContain(pgPassword, environ);
        Assert.DoesNotContain("ConnectionStrings", environ);
        // The cells and the stager have none either; the api and the scheduler do.
        foreach (var (host, unit, _) in ClusterFixture.Units())
        {
            var ini = await File.ReadAllTextAsync(Path.Combine(cluster.Dir, "hosts", host, unit + ".ini"));
            Assert.Equal(unit is "api" or "scheduler", ini.Contains(pgPassword, StringComparison.Ordinal));
            Assert.Equal(unit is "api" or "router", ini.Contains("RouterToken=", StringComparison.Ordinal) || ini.Contains("ApiToken=", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_cell_user_is_refused_when_it_publishes_a_staging_result_or_reads_another_cells_queue()
    {
        var ini = await File.ReadAllTextAsync(Path.Combine(cluster.Dir, "hosts", "cell-1", "cell.ini"));
        var url = new Uri(Regex.Match(ini, "^RabbitMq:Url=(.+)$", RegexOptions.Multiline).Groups[1].Value.Trim());
        var factory = new ConnectionFactory { Uri = url, AutomaticRecoveryEnabled = false };

        // What only the stager may send.
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
                         publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
        {
            var refused = await Assert.ThrowsAnyAsync<Exception>(async () =>
                await channel.BasicPublishAsync("Platform.Contracts.Messages:StagingCompleted", "", true, new BasicProperties(), "{}"u8.ToArray()));
            output.WriteLine("publish of a StagingCompleted as cell-1: " + refused.Message);
            Assert.Contains("ACCESS_REFUSED", Describe(refused, channel));
        }
        // Another cell's queue.
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            var refused = await Assert.ThrowsAnyAsync<OperationInterruptedException>(async () =>
                await channel.BasicGetAsync("cell-cell-2", autoAck: false));
            output.WriteLine("read of cell-cell-2 as cell-1: " + refused.Message);
            Assert.Contains("ACCESS_REFUSED", refused.Message);
        }
        // Its own queue it may read (what the refusals above are measured against).
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            var declared = await channel.QueueDeclarePassiveAsync("cell-cell-1");
            Assert.Equal("cell-cell-1", declared.QueueName);
        }
    }

    private static string Describe(Exception e, IChannel channel) =>
        $"{e.GetType().Name}: {e.Message} {e.InnerException?.Message} {channel.CloseReason?.ReplyText}";
}
