using System.Threading.Channels;
using Platform.Contracts.Messages;

namespace Platform.Staging;

/// <summary>
/// Sends a build's output to the user as <see cref="StagingLog"/> messages, in order. Lines arrive from
/// synchronous callbacks (container output), so they are queued and published by one pump.
/// </summary>
public sealed class StagingLogWriter : IAsyncDisposable
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IMessageDispatcher _dispatcher;
    private readonly Guid _buildId;
    private readonly Guid _appId;
    private readonly TimeProvider _time;
    private readonly Task _pump;

    public StagingLogWriter(IMessageDispatcher dispatcher, Guid buildId, Guid appId, TimeProvider time)
    {
        _dispatcher = dispatcher;
        _buildId = buildId;
        _appId = appId;
        _time = time;
        _pump = Task.Run(PumpAsync);
    }

    public void Write(string line) => _lines.Writer.TryWrite(line);

    /// <summary>Waits until every line written so far has been published, then stops the pump.</summary>
    public async Task CompleteAsync()
    {
        _lines.Writer.TryComplete();
        await _pump;
    }

    public async ValueTask DisposeAsync() => await CompleteAsync();

    private async Task PumpAsync()
    {
        await foreach (var line in _lines.Reader.ReadAllAsync())
        {
            // Log lines must not outlive a cancelled build by much, but a lost line is better than a stuck build:
            // publishing is bounded and failures are dropped (the build's own result still goes out).
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _dispatcher.DispatchAsync(new StagingLog(_buildId, _appId, line, _time.GetUtcNow()), null, timeout.Token);
            }
            catch (Exception)
            {
                // Deliberately swallowed: see above.
            }
        }
    }
}
