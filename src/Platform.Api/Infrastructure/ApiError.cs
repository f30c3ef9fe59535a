using Microsoft.AspNetCore.Http;

namespace Platform.Api.Infrastructure;

/// <summary>
/// A refusal found by a service the endpoints share (apps, routes, manifests), before it becomes a problem answer: the
/// manifest endpoint tags it with the manifest line it came from, the other endpoints answer it as is.
/// </summary>
public sealed record ApiError(int Status, string Title, string Detail)
{
    /// <summary>Members added to the problem (RFC 9457 extensions), such as where in a manifest the error is.</summary>
    public IReadOnlyDictionary<string, object?>? Extensions { get; init; }

    public IResult ToResult() => Results.Problem(title: Title, detail: Detail, statusCode: Status, extensions: Extensions);

    public static ApiError BadRequest(string detail) => new(StatusCodes.Status400BadRequest, "Invalid request", detail);
    public static ApiError NotFound(string title, string detail) => new(StatusCodes.Status404NotFound, title, detail);
    public static ApiError Conflict(string detail) => new(StatusCodes.Status409Conflict, "Conflict", detail);
    public static ApiError Unprocessable(string title, string detail) => new(StatusCodes.Status422UnprocessableEntity, title, detail);
    public static ApiError QuotaExceeded(string detail) => new(StatusCodes.Status422UnprocessableEntity, "Quota exceeded", detail);
}
