using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Platform.Contracts.Api;
using Platform.Contracts.Exec;

namespace Platform.Api.Exec;

/// <summary>
/// Starts one exec on a cell with a grant made for it: asks the cell for a nonce, signs
/// {nonce, instance, user, command digest} with Api:ExecGrantKey and sends the command with it. The cell answers
/// the grant's verdict (401/403) or the NDJSON stream; the caller owns the response.
/// </summary>
public sealed class CellExecClient(IOptions<ApiOptions> options)
{
    // One client for every proxied exec: the connection pool is shared, and a command may run for as long as it likes.
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly (ExecGrantKey? Key, string? Error) _key = ExecGrantKey.Parse(options.Value.ExecGrantKey, "Api:ExecGrantKey");

    /// <summary>Why this API cannot sign grants, or null.</summary>
    public string? KeyProblem => _key.Error;

    /// <summary>
    /// The cell's response to the granted exec (headers read, body streaming), or the cell's refusal of the nonce
    /// request. Throws <see cref="HttpRequestException"/> when the cell cannot be reached.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(string execUrl, Guid instanceId, string user, ExecRequest body, CancellationToken ct)
    {
        var key = _key.Key ?? throw new InvalidOperationException(KeyProblem);
        var baseUrl = execUrl.TrimEnd('/');
        var nonceResponse = await Http.PostAsync($"{baseUrl}/v1/nonce", content: null, ct);
        if (!nonceResponse.IsSuccessStatusCode) return nonceResponse;
        ExecNonce? nonce;
        using (nonceResponse) nonce = await nonceResponse.Content.ReadFromJsonAsync<ExecNonce>(Json, ct);
        if (nonce is not { Nonce.Length: > 0 }) throw new HttpRequestException($"the cell at {execUrl} answered no nonce");

        using var request = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl}/v1/instances/{instanceId}/exec")
        {
            Content = JsonContent.Create(new ExecRequest(body.Command, body.Index, body.Stdin), options: Json),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue(ExecGrant.Scheme,
            ExecGrant.For(nonce.Nonce, instanceId, user, body.Command!).Sign(key));
        return await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }
}
