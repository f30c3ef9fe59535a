using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.Scheduler;

/// <summary>
/// One scheduler is active at a time: the one holding a Postgres session-level advisory lock on a connection of its own
/// (not pooled: a pooled connection would keep the lock after it was given back). Standbys try for the lock every
/// Scheduler:LeaderPollSeconds. When the active scheduler dies its connection closes and Postgres releases the lock at
/// once; when it is cut off, TCP keepalives end the session within seconds. The active one checks its connection before
/// each pass and stops converging the moment it is gone. Every pass also takes the transaction-scoped
/// <see cref="SchedulerLock"/>, so even two schedulers that both think they lead never place an index twice.
/// </summary>
public sealed class SchedulerLeadership : IAsyncDisposable
{
    /// <summary>Not <see cref="SchedulerLock"/>'s key: that one is taken per transaction by every handler.</summary>
    private const long Key = 0x504c_4154_4c45_4144; // "PLATLEAD"

    private readonly string _connectionString;
    private readonly ILogger<SchedulerLeadership> _logger;
    private NpgsqlConnection? _connection;
    private bool _leading;

    public SchedulerLeadership(string connectionString, ILogger<SchedulerLeadership> logger)
    {
        _connectionString = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            ApplicationName = "platform-scheduler-leader",
            // A write to a dead peer ends within seconds, not at the kernel's TCP retransmission timeout.
            KeepAlive = 2,
            CommandTimeout = 5,
            Timeout = 5,
        }.ConnectionString;
        _logger = logger;
    }

    /// <summary>Whether this process is the active scheduler (as of the last <see cref="TryLeadAsync"/>).</summary>
    public bool IsLeader => _leading;

    /// <summary>Checks that the lock is still held, or tries to take it. True: this process may converge now.</summary>
    public async Task<bool> TryLeadAsync(CancellationToken cancellationToken)
    {
        try
        {
            _connection ??= await OpenAsync(cancellationToken);
            if (_leading)
            {
                await using var ping = new NpgsqlCommand("SELECT 1", _connection);
                await ping.ExecuteScalarAsync(cancellationToken);
                return true;
            }
            await using var take = new NpgsqlCommand($"SELECT pg_try_advisory_lock({Key})", _connection);
            if (await take.ExecuteScalarAsync(cancellationToken) is true)
            {
                _leading = true;
                _logger.LogInformation("This scheduler is now the active one (process {Pid})", Environment.ProcessId);
            }
            return _leading;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or InvalidOperationException or TimeoutException
                                  && !cancellationToken.IsCancellationRequested)
        {
            if (_leading) _logger.LogWarning(e, "Lost the scheduler lock's connection: no longer the active scheduler");
            else _logger.LogDebug(e, "Could not try for the scheduler lock");
            await DropAsync();
            return false;
        }
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private async Task DropAsync()
    {
        _leading = false;
        if (_connection is null) return;
        try { await _connection.DisposeAsync(); }
        catch (Exception e) when (e is NpgsqlException or IOException) { }
        _connection = null;
    }

    /// <summary>Closing the connection releases the lock: a stopping scheduler hands over at once.</summary>
    public async ValueTask DisposeAsync() => await DropAsync();
}
