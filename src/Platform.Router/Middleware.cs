using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Platform.Router;

/// <summary>
/// What the router's middleware shares about one request: its id, when it started, the route it matched and the
/// bytes of its response. One object per request, set as a feature by <see cref="RequestIdMiddleware"/>.
/// </summary>
internal sealed class RoutedRequest(string requestId, long startedTimestamp, DateTimeOffset startedAt)
{
    public string RequestId { get; } = requestId;
    public long StartedTimestamp { get; } = startedTimestamp;
    public DateTimeOffset StartedAt { get; } = startedAt;
    public AppRoute? Route { get; set; }
}

/// <summary>
/// Gives each request an <c>X-Request-Id</c> (the caller's when it sent a sane one) that the app and the access log
/// see. The response gets it back from the proxy's response transform (<see cref="RouterTransforms"/>) or from
/// <see cref="PlainText"/> for the router's own answers, so no per-request OnStarting callback is needed.
/// </summary>
internal sealed class RequestIdMiddleware(RequestDelegate next, TimeProvider time)
{
    public const string Header = "X-Request-Id";
    private const int MaxLength = 200;

    // Printable ASCII without space: what a request id may be made of.
    private static readonly SearchValues<char> Allowed = SearchValues.Create(
        Enumerable.Range('!', '~' - '!' + 1).Select(c => (char)c).ToArray());

    public Task InvokeAsync(HttpContext context)
    {
        var started = time.GetTimestamp();
        var headers = context.Request.Headers;
        var incoming = headers[Header];
        string id;
        if (incoming.Count == 1 && IsSane(incoming[0]))
        {
            id = incoming[0]!;
        }
        else
        {
            id = Guid.NewGuid().ToString("N");
            headers[Header] = id;
        }
        context.Features.Set(new RoutedRequest(id, started, time.GetUtcNow()));
        return next(context);
    }

    private static bool IsSane(string? id) =>
        id is { Length: > 0 and <= MaxLength } && !id.AsSpan().ContainsAnyExcept(Allowed);
}

/// <summary>
/// Answers what YARP cannot say well: 404 for a host no route knows, 503 for an app with no running
/// instance. Everything else goes on to the proxy.
/// </summary>
internal sealed class RouteGateMiddleware(RequestDelegate next, RouteTableLoader loader)
{
    public Task InvokeAsync(HttpContext context)
    {
        // The raw Host header: HttpRequest.Host.Host would allocate a substring to drop the port.
        var host = context.Request.Headers.Host.ToString();
        var path = context.Request.Path.Value ?? "/";
        var route = loader.Current.Match(host, path);
        if (route is null)
            return PlainText.WriteAsync(context, StatusCodes.Status404NotFound,
                $"404 Not Found: unknown route '{RouteTable.NormalizeHost(host)}{context.Request.Path}'");
        context.Features.Get<RoutedRequest>()!.Route = route;
        if (route.Backends.Count == 0)
            return PlainText.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                $"503 Service Unavailable: no running instances of app '{route.AppName}'");
        return next(context);
    }
}

/// <summary>Writes a short text body for proxy failures, which YARP answers with a bare status code.</summary>
internal sealed class ProxyErrorBodyMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        await next(context);
        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is null || error.Error == ForwarderError.None || context.Response.HasStarted) return;
        var app = context.Features.Get<RoutedRequest>()?.Route?.AppName ?? "?";
        var status = context.Response.StatusCode is >= 500 and <= 599 ? context.Response.StatusCode : StatusCodes.Status502BadGateway;
        var message = status switch
        {
            StatusCodes.Status504GatewayTimeout => $"504 Gateway Timeout: an instance of app '{app}' did not answer in time",
            StatusCodes.Status503ServiceUnavailable => $"503 Service Unavailable: no available instance of app '{app}'",
            _ => $"502 Bad Gateway: an instance of app '{app}' failed ({error.Error})",
        };
        await PlainText.WriteAsync(context, status, message);
    }
}

/// <summary>
/// Times each request, counts the bytes of its response, and hands an access line for the app's log plus
/// per-route metrics to the background (<see cref="AccessLogQueue"/>): on the request path this is a few field
/// copies into a bounded channel, the text is formatted and shipped elsewhere.
/// </summary>
internal sealed class AccessLogMiddleware(RequestDelegate next, AccessLogQueue queue, RouterMetrics metrics, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var original = context.Features.Get<IHttpResponseBodyFeature>()!;
        var counting = new CountingResponseBody(original);
        context.Features.Set<IHttpResponseBodyFeature>(counting);
        try
        {
            await next(context);
        }
        finally
        {
            context.Features.Set(original);
            var routed = context.Features.Get<RoutedRequest>()!;
            var elapsed = time.GetElapsedTime(routed.StartedTimestamp);
            var status = context.Response.StatusCode;
            metrics.Record(routed.Route?.Host, routed.Route?.AppName, status, elapsed);
            if (routed.Route is { } route)
            {
                var request = context.Request;
                var destination = context.Features.Get<IReverseProxyFeature>()?.ProxiedDestination;
                queue.Enqueue(new AccessLogEntry(route, routed.StartedAt, request.Method, request.PathBase.Value, request.Path.Value,
                    request.QueryString.Value, request.Protocol, status, counting.BytesWritten, elapsed, routed.RequestId,
                    destination?.Model.Config.Address));
            }
        }
    }
}

internal static class PlainText
{
    /// <summary>The router's own answer: status, a one-line text body, and the request id.</summary>
    public static Task WriteAsync(HttpContext context, int statusCode, string message)
    {
        var response = context.Response;
        response.StatusCode = statusCode;
        response.ContentType = "text/plain; charset=utf-8";
        if (context.Features.Get<RoutedRequest>() is { } routed)
            response.Headers[RequestIdMiddleware.Header] = routed.RequestId;
        var body = Encoding.UTF8.GetBytes(message + "\n");
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }
}

/// <summary>
/// The response body feature of the request with its <see cref="Stream"/> counting what passes through (the proxy
/// copies the backend's body into <c>Response.Body</c>); everything else goes to the server's own feature.
/// </summary>
internal sealed class CountingResponseBody(IHttpResponseBodyFeature inner) : IHttpResponseBodyFeature
{
    private readonly CountingStream _stream = new(inner.Stream);

    public long BytesWritten => _stream.BytesWritten;
    public Stream Stream => _stream;
    // Writes through the PipeWriter are not counted: the proxy and the router's own answers write to the Stream.
    public System.IO.Pipelines.PipeWriter Writer => inner.Writer;
    public void DisableBuffering() => inner.DisableBuffering();
    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);
    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
        inner.SendFileAsync(path, offset, count, cancellationToken);
    public Task CompleteAsync() => inner.CompleteAsync();
}

/// <summary>Passes writes through and counts their bytes (one request's writes never overlap).</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    public long BytesWritten { get; private set; }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        BytesWritten += count;
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        BytesWritten += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        BytesWritten += buffer.Length;
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
