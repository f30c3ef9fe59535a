using System.Net.ServerSentEvents;

namespace Platform.Api.Tests;

/// <summary>Reads a Server-Sent Events answer event by event, as EventSource would.</summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly IAsyncEnumerator<SseItem<string>> _events;

    private SseClient(HttpResponseMessage response, Stream stream)
    {
        _response = response;
        _events = SseParser.Create(stream).EnumerateAsync().GetAsyncEnumerator();
    }

    public HttpResponseMessage Response => _response;

    public static async Task<SseClient> OpenAsync(HttpClient http, string path, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
            Assert.Fail($"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new SseClient(response, await response.Content.ReadAsStreamAsync());
    }

    /// <summary>The next event that is not a ping or the opening "ready" (or null when the stream ended).</summary>
    public async Task<SseItem<string>?> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var move = _events.MoveNextAsync().AsTask();
            if (await Task.WhenAny(move, Task.Delay(Timeout.Infinite, cts.Token)) != move)
                throw new TimeoutException("no event came in time");
            if (!await move) return null;
            if (_events.Current.EventType is "ping" or "ready") continue;
            return _events.Current;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _response.Dispose();
        try { await _events.DisposeAsync(); } catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException) { }
    }
}
