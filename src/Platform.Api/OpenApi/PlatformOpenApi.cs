using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Platform.Api.Access;
using Platform.Api.Auth;
using Scalar.AspNetCore;

namespace Platform.Api.OpenApi;

/// <summary>
/// The API's OpenAPI document at <see cref="DocumentPath"/> (Microsoft.AspNetCore.OpenApi, from the endpoints' own
/// metadata) and its reference page at <see cref="ReferencePath"/> (Scalar, its script served from this assembly, no
/// CDN). Both are anonymous: they describe the API, they hold nothing of anyone's.
/// </summary>
public static partial class PlatformOpenApi
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/openapi/v1.json";
    public const string ReferencePath = "/api-docs";

    public const string BearerScheme = "bearer";
    public const string SessionScheme = "session";
    public const string RouterScheme = "router";

    /// <summary>
    /// The reference page's policy: Scalar's page starts itself with an inline module script, allowed by the nonce Scalar
    /// makes per request (no other inline script runs); Scalar sets its styles at run time, hence inline styles, and
    /// compiles some of its code at run time (the browser test saw "script-src eval" refused), hence 'unsafe-eval', on
    /// this page only: the dashboard's pages keep a policy without it.
    /// Requests from the page's "try it" go to this API only.
    /// </summary>
    public static string ReferenceContentSecurityPolicy(string nonce) =>
        $"default-src 'none'; script-src 'self' 'nonce-{nonce}' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static IServiceCollection AddPlatformOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(DocumentName, options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                DescribeDocument(document);
                return Task.CompletedTask;
            });
            options.AddOperationTransformer(TransformOperationAsync);
        });

    /// <summary>Maps the document and the reference page; the page's responses carry <see cref="ReferenceContentSecurityPolicy"/>.</summary>
    public static WebApplication MapPlatformApiDocs(this WebApplication app)
    {
        app.MapOpenApi(DocumentPath).Anonymous();
        app.MapScalarApiReference(ReferencePath, options => options
                .WithTitle("Platform API")
                .WithOpenApiRoutePattern(DocumentPath)
                .WithNonce()
                .AddPreferredSecuritySchemes(BearerScheme)
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp()
                .HideDeveloperTools())
            .Anonymous();
        return app;
    }

    /// <summary>Before the endpoints run: the reference page's header, with the nonce Scalar put in HttpContext.Items.</summary>
    public static WebApplication UsePlatformApiDocsHeaders(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(ReferencePath))
                context.Response.OnStarting(() =>
                {
                    var headers = context.Response.Headers;
                    var nonce = context.Items[ScalarOptions.NonceHttpContextItemKey] as string;
                    // Scalar's own script files carry no nonce; a page without one may run no inline script at all.
                    headers.ContentSecurityPolicy = ReferenceContentSecurityPolicy(nonce ?? "none");
                    headers.XContentTypeOptions = "nosniff";
                    headers["Referrer-Policy"] = "same-origin";
                    return Task.CompletedTask;
                });
            return next(context);
        });
        return app;
    }

    private static void DescribeDocument(OpenApiDocument document)
    {
        document.Info.Title = "Platform API";
        document.Info.Description =
            "The /v1 API of Platform's api role (what plat and the dashboard use). Errors are RFC 9457 problems " +
            "(application/problem+json) with a title and a detail that says what to do. Calls need a bearer token " +
            "(POST /v1/tokens, or an API token) or the dashboard's session cookie (POST /v1/sessions; changes made with " +
            $"the cookie also need the {SessionCookie.CsrfHeader} header). The reference page is {ReferencePath}/.";
        // The tags the operation transformer gave, in order, so the reference page groups by them.
        document.Tags = new HashSet<OpenApiTag>(document.Paths.Values
            .SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
            .SelectMany(o => o.Tags ?? new HashSet<OpenApiTagReference>())
            .Select(t => t.Name).OfType<string>().Distinct().Order(StringComparer.Ordinal)
            .Select(name => new OpenApiTag { Name = name }));
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A session token from POST /v1/tokens (plat login) or an API token from POST /v1/api-tokens.",
        };
        document.Components.SecuritySchemes[SessionScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Cookie,
            Name = SessionCookie.Name,
            Description = $"The dashboard's HttpOnly session cookie from POST /v1/sessions ({SessionCookie.SecureName} over HTTPS); " +
                          $"a change (not GET) made with it needs the {SessionCookie.CsrfHeader} header that the sign-in gave.",
        };
        document.Components.SecuritySchemes[RouterScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "The routers' credential (Api:RouterToken, the same value as Router:ApiToken), not a user's token.",
        };
    }

    private static async Task TransformOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var method = context.Description.HttpMethod ?? "GET";
        var path = "/" + (context.Description.RelativePath ?? "").TrimStart('/');

        if (metadata.OfType<RequestBodyDoc>().LastOrDefault() is { } body)
            operation.RequestBody = await RequestBodyAsync(body, context, ct);

        operation.Tags = new HashSet<OpenApiTagReference> { new(TagOf(path), context.Document) };

        var rule = metadata.OfType<AccessRule>().SingleOrDefault();
        operation.Security = rule switch
        {
            null or AnonymousAccess => [],
            RouterCredentialAccess => [Requirement(RouterScheme, context.Document)],
            _ => [Requirement(BearerScheme, context.Document), Requirement(SessionScheme, context.Document)],
        };
        var access = Describe(rule);
        operation.Description = string.IsNullOrEmpty(operation.Description) ? access : $"{operation.Description}\n\n{access}";
        operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        operation.Extensions["x-access-rule"] = new JsonNodeExtension(rule?.ToString() ?? "none");

        // The CSRF filter of the /v1 group refuses a cookie-authenticated change without its token.
        if (rule is AnyUserAccess && !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
            await AddProblemAsync(operation, context, StatusCodes.Status403Forbidden, ct);
    }

    private static async Task<OpenApiRequestBody> RequestBodyAsync(RequestBodyDoc body, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        IOpenApiSchema schema = body.Type is { } type
            ? Component(type.Name, await context.GetOrCreateSchemaAsync(type, null, ct), context.Document)
            : new OpenApiSchema { Type = JsonSchemaType.String, Format = body.Binary ? "binary" : null };
        var content = new Dictionary<string, OpenApiMediaType>();
        foreach (var mediaType in body.ContentTypes) content[mediaType] = new OpenApiMediaType { Schema = schema };
        return new OpenApiRequestBody { Required = true, Description = body.Description, Content = content };
    }

    /// <summary>A body's schema as a named component (as response types are), so generated clients get a named type.</summary>
    private static IOpenApiSchema Component(string id, IOpenApiSchema schema, OpenApiDocument? document)
    {
        if (document is null) return schema;
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas.TryAdd(id, schema);
        return new OpenApiSchemaReference(id, document);
    }

    private static async Task AddProblemAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, int status, CancellationToken ct)
    {
        operation.Responses ??= new OpenApiResponses();
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses.ContainsKey(key)) return;
        var schema = await context.GetOrCreateSchemaAsync(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), null, ct);
        operation.Responses[key] = new OpenApiResponse
        {
            Description = ReasonPhrase(status),
            Content = new Dictionary<string, OpenApiMediaType> { [EndpointDocs.ProblemJson] = new() { Schema = schema } },
        };
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);

    private static OpenApiSecurityRequirement Requirement(string scheme, OpenApiDocument? document) =>
        new() { [new OpenApiSecuritySchemeReference(scheme, document)] = [] };

    /// <summary>What the rule lets through, as the operation's description says it.</summary>
    internal static string Describe(AccessRule? rule) => rule switch
    {
        AnonymousAccess => "Access: anyone, no credentials needed.",
        AnyUserAccess => "Access: any signed-in user.",
        AdminAccess => "Access: platform admins only, with a token not narrowed to a space (403 otherwise).",
        RouterCredentialAccess => "Access: the routers' credential (Api:RouterToken) only; a user's token gets 401.",
        OrgAccessRule o => $"Access: {string.Join(", ", Permissions.RolesFor(o.Action))} in the org of {{org}}, or a platform admin " +
                           "(404 for a caller with no role in the org, 403 for one whose role does not allow it).",
        SpaceAccessRule s => $"Access: {string.Join(", ", Permissions.RolesFor(s.Action))} in the space of {{space}}, or a platform admin " +
                             "(404 for a caller with no role in the space, 403 for one whose role does not allow it).",
        _ => "Access: not declared.",
    };

    /// <summary>The tag of an operation: what its path is about (apps, routes, orgs, ...), so the reference page groups them.</summary>
    internal static string TagOf(string path)
    {
        var parts = path.Trim('/').Split('/');
        if (parts.Length <= 1 || parts[0] != "v1") return "platform";
        if (parts[1] == "spaces" && parts.Length > 3) return parts[3] is "users" or "quota" or "features" or "stream" ? "spaces" : parts[3];
        if (parts[1] == "orgs" && parts.Length > 3 && parts[3] == "domains") return "domains";
        return parts[1] switch { "sessions" or "tokens" or "me" or "api-tokens" => "sign-in and tokens", _ => parts[1] };
    }
}
