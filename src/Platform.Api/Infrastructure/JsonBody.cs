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

    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType())
            return (null, ApiProblems.BadRequest("send a JSON body with Content-Type: application/json"));
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, Options, cancellationToken);
            return value is null
                ? (null, ApiProblems.BadRequest("the request body is empty: send a JSON object"))
                : (value, null);
        }
        catch (JsonException e)
        {
            return (null, ApiProblems.BadRequest($"the request body is not valid JSON for {typeof(T).Name}: {e.Message}"));
        }
    }
}
