using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Model;

namespace Platform.Router;

/// <summary>
/// Cloud Foundry's session stickiness: when an app's response sets a <c>JSESSIONID</c> cookie (a Java servlet
/// session, which lives in one instance's memory), the router adds a <c>__VCAP_ID__</c> cookie naming that
/// instance; a request carrying <c>__VCAP_ID__</c> goes back to that instance while it is available, and to
/// any other (load balancing as usual) once it is gone. Apps that never set JSESSIONID are balanced as
/// before. This is not YARP's session affinity (which pins every client, and whose default policy is not
/// usable here): it runs in the proxy pipeline before load balancing and narrows the destinations itself.
/// </summary>
public sealed class SessionStickinessMiddleware(RequestDelegate next, IOptions<RouterOptions> options)
{
    public const string SessionCookie = "JSESSIONID";
    public const string InstanceCookie = "__VCAP_ID__";

    public Task InvokeAsync(HttpContext context)
    {
        if (!options.Value.JSessionIdStickiness) return next(context);
        // Most requests carry no instance cookie: look before parsing cookies.
        var cookieHeader = context.Request.Headers.Cookie;
        if (cookieHeader.Count == 0 || !ContainsInstanceCookie(cookieHeader)) return next(context);
        if (context.Request.Cookies.TryGetValue(InstanceCookie, out var pinned) && !string.IsNullOrEmpty(pinned))
        {
            var proxy = context.GetReverseProxyFeature();
            var match = proxy.AvailableDestinations.FirstOrDefault(d => d.DestinationId == pinned);
            // Gone or out of rotation: the request is balanced like any other, and a new session begins.
            if (match is not null) proxy.AvailableDestinations = [match];
        }
        // The response side (adding __VCAP_ID__ when the app sets JSESSIONID) is a response transform: RouterTransforms.
        return next(context);
    }

    private static bool ContainsInstanceCookie(Microsoft.Extensions.Primitives.StringValues header)
    {
        foreach (var value in header)
            if (value is not null && value.Contains(InstanceCookie, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>
    /// When the response sets JSESSIONID, pins the client with __VCAP_ID__ = the instance that answered, with
    /// the session cookie's lifetime and security attributes (an expired JSESSIONID expires it too).
    /// </summary>
    public static void AddInstanceCookie(HttpResponse response, DestinationState destination)
    {
        var setCookies = response.Headers.SetCookie;
        if (setCookies.Count == 0) return;
        var values = setCookies.Where(v => v is not null).Select(v => v!).ToList();
        if (!SetCookieHeaderValue.TryParseList(values, out var cookies) || cookies is null) return;
        var session = cookies.LastOrDefault(c => c.Name.Equals(SessionCookie, StringComparison.Ordinal));
        if (session is null || cookies.Any(c => c.Name.Equals(InstanceCookie, StringComparison.Ordinal))) return;
        var instance = new SetCookieHeaderValue(InstanceCookie, destination.DestinationId)
        {
            Path = "/",
            HttpOnly = true,
            Secure = session.Secure,
            SameSite = session.SameSite,
            Expires = session.Expires,
            MaxAge = session.MaxAge,
        };
        response.Headers.Append(HeaderNames.SetCookie, instance.ToString());
    }
}
