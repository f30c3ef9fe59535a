using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Platform.Api.Infrastructure;

/// <summary>
/// Reads a JSON request body ourselves (rather than through parameter binding) so that a missing or
/// malformed body gets a problem with a useful detail instead of an empty 400.
/// </summary>
public static class JsonBody
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The largest JSON body any endpoint takes (an app with its whole environment is far below it): a bigger one is
    /// refused with 413 before it is read, so a 10 MB body cannot make the API parse 100,000 variables.
    /// </summary>
    public const int MaxBytes = 1024 * 1024;

    public static Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class => ReadAsync<T>(request, MaxBytes, cancellationToken);

    /// <summary>Reads a body with its own limit, for the endpoints whose body carries data (exec's base64 stdin).</summary>
    public static Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType())
            return Task.FromResult<(T?, IResult?)>((null, ApiProblems.BadRequest("send a JSON body with Content-Type: application/json")));
        return ReadAsync<T>(request.Body, request.ContentLength, maxBytes, cancellationToken);
    }

    /// <summary>Reads <typeparamref name="T"/> from a body of at most <paramref name="maxBytes"/> (a resource list may be larger than <see cref="MaxBytes"/>).</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(Stream body, long? length, int maxBytes, CancellationToken cancellationToken)
        where T : class
    {
        if (length > maxBytes)
            return (null, BodyTooLarge(maxBytes));
        try
        {
            // Without a length (chunked), read at most the limit and one byte more.
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int n;
            while ((n = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + n > maxBytes) return (null, BodyTooLarge(maxBytes));
                buffer.Write(chunk, 0, n);
            }
            buffer.Position = 0;
            var value = await JsonSerializer.DeserializeAsync<T>(buffer, Options, cancellationToken);
            return value is null
                ? (null, ApiProblems.BadRequest("the request body is empty: send a JSON object"))
                : (value, null);
        }
        catch (JsonException e)
        {
            return (null, ApiProblems.BadRequest($"the request body is not valid JSON for {typeof(T).Name}: {e.Message}"));
        }
    }

    private static IResult BodyTooLarge(int maxBytes) =>
        Results.Problem(title: "Request too large", detail: $"the JSON body is larger than {maxBytes / 1024} KB",
            statusCode: StatusCodes.Status413PayloadTooLarge);
}
