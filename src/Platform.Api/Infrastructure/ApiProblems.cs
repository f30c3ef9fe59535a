using Microsoft.AspNetCore.Http;

namespace Platform.Api.Infrastructure;

/// <summary>The RFC 9457 problems the API answers with: a short title and a detail a person can act on.</summary>
public static class ApiProblems
{
    public static IResult BadRequest(string detail) =>
        Results.Problem(title: "Invalid request", detail: detail, statusCode: StatusCodes.Status400BadRequest);

    public static IResult AppNotFound(string name) =>
        Results.Problem(title: "App not found", detail: $"app '{name}' not found", statusCode: StatusCodes.Status404NotFound);

    public static IResult NotFound(string title, string detail) =>
        Results.Problem(title: title, detail: detail, statusCode: StatusCodes.Status404NotFound);

    public static IResult Conflict(string detail) =>
        Results.Problem(title: "Conflict", detail: detail, statusCode: StatusCodes.Status409Conflict);

    public static IResult TooLarge(long limit) =>
        Results.Problem(
            title: "Upload too large",
            detail: $"the archive is larger than the limit of {limit} bytes (Api:MaxUploadBytes)",
            statusCode: StatusCodes.Status413PayloadTooLarge);

    public static IResult Unprocessable(string title, string detail) =>
        Results.Problem(title: title, detail: detail, statusCode: StatusCodes.Status422UnprocessableEntity);

    /// <summary>A change past an org or space quota: the detail names the quota and the numbers.</summary>
    public static IResult QuotaExceeded(string detail) =>
        Results.Problem(title: "Quota exceeded", detail: detail, statusCode: StatusCodes.Status422UnprocessableEntity);

    public static IResult TooManyRequests(string detail) =>
        Results.Problem(title: "Too many requests", detail: detail, statusCode: StatusCodes.Status429TooManyRequests);

    public static IResult Unauthorized(string detail) =>
        Results.Problem(title: "Unauthorized", detail: detail, statusCode: StatusCodes.Status401Unauthorized);

    public static IResult Forbidden(string detail) =>
        Results.Problem(title: "Forbidden", detail: detail, statusCode: StatusCodes.Status403Forbidden);

    public static IResult BadGateway(string detail) =>
        Results.Problem(title: "Cell unreachable", detail: detail, statusCode: StatusCodes.Status502BadGateway);

    public static IResult Unavailable(string title, string detail) =>
        Results.Problem(title: title, detail: detail, statusCode: StatusCodes.Status503ServiceUnavailable);
}
