using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Platform.Api.OpenApi;

/// <summary>
/// A request body an endpoint reads itself (through <see cref="Infrastructure.JsonBody"/> or as a raw stream), so parameter
/// binding cannot describe it. Only the OpenAPI document reads this: unlike <c>.Accepts&lt;T&gt;()</c> it adds no
/// content-type matching to routing, so a body of the wrong type still gets the endpoint's own 400 with its detail.
/// </summary>
/// <param name="Type">The JSON body's type; null for a body that is not JSON (an archive, a manifest).</param>
/// <param name="ContentTypes">The media types the endpoint takes.</param>
/// <param name="Binary">For a non-JSON body: bytes (an archive) rather than text (a manifest).</param>
public sealed record RequestBodyDoc(Type? Type, IReadOnlyList<string> ContentTypes, bool Binary, string? Description);

/// <summary>
/// The endpoint metadata that makes the OpenAPI document true where the handlers return <see cref="IResult"/> (which
/// says nothing of its body or status): the body an endpoint reads, what it answers, and its problem responses.
/// </summary>
public static class EndpointDocs
{
    public const string ProblemJson = "application/problem+json";
    public const string EventStream = "text/event-stream";

    /// <summary>A JSON body read with <see cref="Infrastructure.JsonBody"/>: 400 when it is missing or malformed, 413 when it is too large.</summary>
    public static RouteHandlerBuilder JsonBody<T>(this RouteHandlerBuilder endpoint, string? description = null) =>
        endpoint.WithMetadata(new RequestBodyDoc(typeof(T), ["application/json"], false, description))
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

    /// <summary>A body that is not JSON, read by the endpoint as a stream; 413 when it is larger than the endpoint takes.</summary>
    public static RouteHandlerBuilder RawBody(this RouteHandlerBuilder endpoint, string description, bool binary, params string[] contentTypes) =>
        endpoint.WithMetadata(new RequestBodyDoc(null, contentTypes, binary, description))
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

    /// <summary>The problem responses (RFC 9457) the endpoint itself can answer, besides those of its access rule.</summary>
    public static RouteHandlerBuilder Problems(this RouteHandlerBuilder endpoint, params int[] statusCodes)
    {
        foreach (var status in statusCodes) endpoint.ProducesProblem(status);
        return endpoint;
    }

    /// <summary>
    /// A Server-Sent Events stream (<see cref="Live.Sse"/>): "ready" first, pings, the events the description names (each
    /// event's data is one JSON value), and "end" after Api:StreamMaxSeconds.
    /// </summary>
    public static RouteHandlerBuilder ServerSentEvents(this RouteHandlerBuilder endpoint, string events) =>
        endpoint.Produces<string>(StatusCodes.Status200OK, EventStream).WithDescription($"A Server-Sent Events stream: {events}.");
}
