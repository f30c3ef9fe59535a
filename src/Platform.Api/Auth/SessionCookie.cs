using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Platform.Api.Auth;

/// <summary>
/// The dashboard's session cookie: it holds a session token (a row of the tokens table, as plat login's), is HttpOnly
/// (scripts cannot read it), SameSite=Strict (no other site's page can make the browser send it) and Secure with the
/// __Host- prefix when the API is served over https. The CSRF token the page sends back in <see cref="CsrfHeader"/>
/// is derived from the session token, so the server stores nothing more and a page that cannot read the cookie cannot
/// forge it.
/// </summary>
public static class SessionCookie
{
    /// <summary>The cookie over http (a browser refuses the __Host- prefix without Secure).</summary>
    public const string Name = "plat_session";
    /// <summary>The cookie over https: Secure, host-only, path /.</summary>
    public const string SecureName = "__Host-plat_session";
    public const string CsrfHeader = "X-CSRF-Token";

    /// <summary>The session token the request's cookie holds, or null.</summary>
    public static string? Read(HttpRequest request) =>
        request.Cookies.TryGetValue(SecureName, out var secure) && secure.Length > 0 ? secure
        : request.Cookies.TryGetValue(Name, out var plain) && plain.Length > 0 ? plain
        : null;

    public static bool IsPresent(HttpRequest request) => Read(request) is not null;

    public static void Issue(HttpContext context, string token, DateTimeOffset expires)
    {
        var secure = context.Request.IsHttps;
        context.Response.Cookies.Append(secure ? SecureName : Name, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = secure,
            Path = "/",
            Expires = expires,
            IsEssential = true,
        });
    }

    public static void Clear(HttpContext context)
    {
        foreach (var name in new[] { Name, SecureName })
            if (context.Request.Cookies.ContainsKey(name))
                context.Response.Cookies.Delete(name, new CookieOptions
                {
                    HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = name == SecureName || context.Request.IsHttps, Path = "/",
                });
    }

    /// <summary>The CSRF token of a session: HMAC-SHA256 keyed by the session token, base64url.</summary>
    public static string CsrfToken(string sessionToken) =>
        TokenHasher.Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(sessionToken), "platform-csrf"u8));

    /// <summary>Whether the request carries the CSRF token of its session cookie (compared in constant time).</summary>
    public static bool HasValidCsrf(HttpRequest request)
    {
        var session = Read(request);
        var sent = request.Headers[CsrfHeader].ToString();
        if (session is null || sent.Length == 0) return false;
        var expected = Encoding.ASCII.GetBytes(CsrfToken(session));
        var given = Encoding.ASCII.GetBytes(sent);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
