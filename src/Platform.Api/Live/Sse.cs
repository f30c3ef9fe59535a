using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Platform.Api.Live;

/// <summary>One event of a live stream: its type (null: "message"), its id (for Last-Event-ID), its JSON data.</summary>
public readonly record struct LiveEvent(string? Type, string? Id, object Data);

/// <summary>
/// Serves a live stream as Server-Sent Events (the runtime's SseFormatter): JSON data, ids where the stream is
/// resumable, a "ping" event every 15 s so idle connections stay open through proxies, and an end after
/// Api:StreamMaxSeconds or when the server stops; the browser's EventSource then reconnects where it left off.
/// </summary>
public static class Sse
{
    public static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IResult Stream(HttpContext context, Func<CancellationToken, IAsyncEnumerable<LiveEvent>> events)
    {
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<ApiOptions>>().Value;
        var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var time = services.GetRequiredService<TimeProvider>();
        context.Response.Headers.CacheControl = "no-store";
        // Tells nginx-style proxies not to buffer the stream.
        context.Response.Headers["X-Accel-Buffering"] = "no";
        return TypedResults.ServerSentEvents(Items(events, context.RequestAborted, stopping, TimeSpan.FromSeconds(options.StreamMaxSeconds), time));
    }

    private static async IAsyncEnumerable<SseItem<string>> Items(
        Func<CancellationToken, IAsyncEnumerable<LiveEvent>> events, CancellationToken aborted, CancellationToken stopping,
        TimeSpan maxLifetime, TimeProvider time, [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(aborted, stopping, ct);
        cts.CancelAfter(maxLifetime);
        var token = cts.Token;
        // The first item tells the browser how soon to reconnect when the stream ends.
        yield return new SseItem<string>("{}", "ready") { ReconnectionInterval = Retry };
        await using var source = events(token).GetAsyncEnumerator(token);
        Task<bool>? next = null;
        Task? ping = null;
        while (!token.IsCancellationRequested)
        {
            next ??= MoveNextAsync(source);
            ping ??= Task.Delay(PingInterval, time, token);
            var done = await Task.WhenAny(next, ping);
            if (done == ping)
            {
                ping = null;
                if (token.IsCancellationRequested) break;
                yield return new SseItem<string>("{}", "ping");
                continue;
            }
            if (!await next) break;
            next = null;
            var e = source.Current;
            yield return new SseItem<string>(JsonSerializer.Serialize(e.Data, e.Data.GetType(), Json), e.Type) { EventId = e.Id };
        }
        if (next is not null)
        {
            try { await next; }
            catch (OperationCanceledException) { }
        }
    }

    private static async Task<bool> MoveNextAsync(IAsyncEnumerator<LiveEvent> source)
    {
        try
        {
            return await source.MoveNextAsync();
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
