using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Platform.Api.Access;
using Platform.Api.Endpoints;
using Platform.Api.Infrastructure;
using Platform.Api.Live;
using Platform.Data;
using Platform.Api.OpenApi;

namespace Platform.Api.Logs;

/// <summary>
/// GET /v1/spaces/{space}/apps/{name}/logs/stream: the app's log lines as Server-Sent Events, one event per line with
/// the line's id as the event id. It opens with the newest ?recent=N lines (default 200), or with the lines after
/// ?after=ID, or after the Last-Event-ID header a reconnecting EventSource sends, and then follows: a dropped stream
/// resumes with no gap and no duplicate. plat logs and the dashboard's Logs screen read it.
/// </summary>
public static class LogStreamEndpoints
{
    public const int DefaultRecent = 200;
    private const int Page = 1000;

    public static RouteGroupBuilder MapLogStreamEndpoints(this RouteGroupBuilder space)
    {
        space.MapGet("/apps/{name}/logs/stream", StreamAsync).InSpace(SpaceAction.Read).Problems(StatusCodes.Status400BadRequest)
            .ServerSentEvents("one unnamed event (type message) per log line, its data a LogLineResponse and its id the line's (resume with Last-Event-ID or ?after=)");
        return space;
    }

    private static async Task<IResult> StreamAsync(string name, long? after, int? recent, HttpContext context, RequestScope scope,
        PlatformDbContext db, IAppLogStream logs, CancellationToken ct)
    {
        if (recent is < 0 or > LogsEndpoints.MaxLimit)
            return ApiProblems.BadRequest($"recent must be between 0 and {LogsEndpoints.MaxLimit}, not {recent}");
        var resume = after;
        var header = context.Request.Headers["Last-Event-ID"].ToString();
        if (header.Length > 0)
        {
            if (!long.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                return ApiProblems.BadRequest($"Last-Event-ID must be the id of a log line, not '{header}'");
            resume = id;
        }
        if (resume is < 0) return ApiProblems.BadRequest($"after must be 0 or more, not {resume}");
        var appId = await Endpoints.Apps.IdAsync(db, scope, name, ct);
        if (appId is null) return ApiProblems.AppNotFound(name);
        return Sse.Stream(context, token => Lines(logs, appId.Value, resume, recent ?? DefaultRecent, token));
    }

    internal static async IAsyncEnumerable<LiveEvent> Lines(IAppLogStream logs, Guid appId, long? after, int recent,
        [EnumeratorCancellation] CancellationToken ct)
    {
        long last;
        if (after is { } from) last = from;
        else
        {
            var lines = recent > 0 ? await logs.RecentAsync(appId, recent, ct) : [];
            foreach (var line in lines) yield return Event(line);
            last = lines.Count > 0 ? lines[^1].Id : 0;
            // With nothing recent asked, follow from the newest line there is.
            if (recent == 0) last = (await logs.RecentAsync(appId, 1, ct)).LastOrDefault()?.Id ?? 0;
        }
        while (!ct.IsCancellationRequested)
        {
            var page = await logs.AfterAsync(appId, last, Page, ct);
            foreach (var line in page.Lines) yield return Event(line);
            last = page.Through;
            if (page.Lines.Count < Page) await logs.WaitAsync(appId, last, ct);
        }
    }

    private static LiveEvent Event(Contracts.Api.LogLineResponse line) =>
        new(null, line.Id.ToString(CultureInfo.InvariantCulture), line);
}
