using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Platform.Router;

/// <summary>The request id and matched route of a request, shared by the router's middleware.</summary>
internal sealed class RoutedRequest(string requestId)
{
    public string RequestId { get; } = requestId;
    public AppRoute? Route { get; set; }
}

/// <summary>
/// Gives each request an <c>X-Request-Id</c> (the caller's when it sent a sane one) that the app and the
/// access log see, and returns it to the caller.
/// </summary>
internal sealed class RequestIdMiddleware(RequestDelegate next)
{
    public const string Header = "X-Request-Id";

    public Task InvokeAsync(HttpContext context)
    {
        var incoming = context.Request.Headers[Header];
        var id = incoming.Count == 1 && incoming[0] is { Length: > 0 and <= 200 } given && given.All(c => c is > ' ' and < '\u007f')
            ? given
            : Guid.NewGuid().ToString("N");
        context.Request.Headers[Header] = id;
        context.Features.Set(new RoutedRequest(id));
        // Set when the response starts, overwriting whatever the app echoed, so there is exactly one.
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[Header] = id;
            return Task.CompletedTask;
        });
        return next(context);
    }
}

/// <summary>
/// Answers what YARP cannot say well: 404 for a host no route knows, 503 for an app with no running
/// instance. Everything else goes on to the proxy.
/// </summary>
internal sealed class RouteGateMiddleware(RequestDelegate next, RouteTableLoader loader)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var host = context.Request.Host.Host;
        var route = loader.Current.Match(host, context.Request.Path.Value ?? "/");
        if (route is null)
        {
            await PlainText.WriteAsync(context, StatusCodes.Status404NotFound,
                $"404 Not Found: unknown route '{RouteTable.NormalizeHost(host)}{context.Request.Path}'");
            return;
        }
        context.Features.Get<RoutedRequest>()!.Route = route;
        if (route.Backends.Count == 0)
        {
            await PlainText.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                $"503 Service Unavailable: no running instances of app '{route.AppName}'");
            return;
        }
        await next(context);
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
/// Times each request, counts the bytes of its response, and queues an access line for the app's log
/// (<c>site.apps.localhost - "GET / HTTP/1.1" 200 612 0.004s</c>) plus per-route metrics.
/// </summary>
internal sealed class AccessLogMiddleware(RequestDelegate next, AccessLogQueue queue, RouterMetrics metrics, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = time.GetTimestamp();
        var startedAt = time.GetUtcNow();
        var originalBody = context.Features.Get<IHttpResponseBodyFeature>()!;
        var counter = new CountingStream(originalBody.Stream);
        var countingBody = new StreamResponseBodyFeature(counter, originalBody);
        context.Features.Set<IHttpResponseBodyFeature>(countingBody);
        try
        {
            await next(context);
            // Flushes what was written through the wrapper's PipeWriter before the original feature is back.
            await countingBody.CompleteAsync();
        }
        finally
        {
            context.Features.Set(originalBody);
            var elapsed = time.GetElapsedTime(started);
            var routed = context.Features.Get<RoutedRequest>();
            var host = RouteTable.NormalizeHost(context.Request.Host.Host);
            metrics.Record(host, context.Response.StatusCode, elapsed);
            if (routed?.Route is { } route)
                queue.Enqueue(new AccessLogLine(route.AppId, startedAt, Format(context, host, routed, counter.BytesWritten, elapsed)));
        }
    }

    private static string Format(HttpContext context, string host, RoutedRequest routed, long bytes, TimeSpan elapsed)
    {
        var request = context.Request;
        var target = request.PathBase + request.Path + request.QueryString;
        var backend = context.Features.Get<IReverseProxyFeature>()?.ProxiedDestination?.Model.Config.Address;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{host} - \"{request.Method} {target} {request.Protocol}\" {context.Response.StatusCode} {bytes} {elapsed.TotalSeconds:0.000}s x_request_id:\"{routed.RequestId}\"");
        return backend is null ? line : $"{line} backend:\"{new Uri(backend).Authority}\"";
    }
}

internal static class PlainText
{
    public static async Task WriteAsync(HttpContext context, int statusCode, string message)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(message + "\n", context.RequestAborted);
    }
}

/// <summary>Passes writes through and counts their bytes.</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    private long _written;

    public long BytesWritten => Interlocked.Read(ref _written);
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        Interlocked.Add(ref _written, count);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        Interlocked.Add(ref _written, buffer.Length);
    }

    public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        await inner.WriteAsync(buffer.AsMemory(offset, count), cancellationToken);
        Interlocked.Add(ref _written, count);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        Interlocked.Add(ref _written, buffer.Length);
    }

    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
