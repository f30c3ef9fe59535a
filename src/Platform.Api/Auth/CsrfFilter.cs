using Microsoft.AspNetCore.Http;
using Platform.Api.Infrastructure;

namespace Platform.Api.Auth;

/// <summary>
/// Refuses a call that changes something (any method but GET, HEAD, OPTIONS) made with the session cookie unless it
/// carries the session's CSRF token in X-CSRF-Token: another site can make a browser send requests, never read the
/// token. Bearer requests need no token (a browser never adds an Authorization header by itself).
/// </summary>
public sealed class CsrfFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.User.ByCookie() && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method)
            && !HttpMethods.IsOptions(http.Request.Method) && !SessionCookie.HasValidCsrf(http.Request))
            return ApiProblems.Forbidden(
                $"this change was made with the session cookie but without its CSRF token: send the {SessionCookie.CsrfHeader} header " +
                "that POST /v1/sessions or GET /v1/sessions/current gives (reload the dashboard)");
        return await next(context);
    }
}
