using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Platform.Router;

/// <summary>
/// The transforms of every route, added once per route when YARP builds its config (not per request): apps see the
/// Host they were called by (as on Cloud Foundry), and a proxied response carries the request's id and, for a Java
/// session, the instance cookie. Response transforms run after the backend's headers are copied, so what the app
/// sent for these is overwritten, and no OnStarting callback has to be allocated per request.
/// </summary>
internal static class RouterTransforms
{
    public static void Apply(TransformBuilderContext context, RouterOptions options)
    {
        context.AddOriginalHost(true);
        // Each proxy appends its hop: the caller's own X-Forwarded-For/Proto/Host (a load balancer in front) are
        // kept, and the lists stay aligned entry by entry, as ASP.NET's and most frameworks' forwarded-headers
        // handling expects.
        context.UseDefaultForwarders = false;
        context.AddXForwarded(ForwardedTransformActions.Append);
        context.AddResponseTransform(SetRequestId);
        if (options.JSessionIdStickiness) context.AddResponseTransform(PinJavaSession);
    }

    private static ValueTask SetRequestId(ResponseTransformContext context)
    {
        if (context.HttpContext.Features.Get<RoutedRequest>() is { } routed)
            context.HttpContext.Response.Headers[RequestIdMiddleware.Header] = routed.RequestId;
        return ValueTask.CompletedTask;
    }

    private static ValueTask PinJavaSession(ResponseTransformContext context)
    {
        var response = context.HttpContext.Response;
        if (response.Headers.SetCookie.Count > 0 && context.HttpContext.GetReverseProxyFeature().ProxiedDestination is { } destination)
            SessionStickinessMiddleware.AddInstanceCookie(response, destination);
        return ValueTask.CompletedTask;
    }
}
