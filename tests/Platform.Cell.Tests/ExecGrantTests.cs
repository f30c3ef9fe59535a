using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Platform.Cell.Exec;
using Platform.Contracts.Api;
using Platform.Contracts.Exec;
using Platform.Contracts.Messages;

namespace Platform.Cell.Tests;

/// <summary>
/// The cell's exec listener (a real one, on a loopback port) against a real running instance: a grant runs its
/// command once, and a replayed, misdirected, altered, expired or forged grant is refused before anything runs.
/// The cell's clock is a <see cref="FakeTimeProvider"/>: a nonce's age is the cell's own, never compared to another host's.
/// </summary>
[Collection(CellHarnessCollection.Name)]
public sealed class ExecGrantTests : IAsyncLifetime
{
    private const string Key = "test-exec-grant-key-0123456789";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private CellHarness _cell = null!;
    private CellExecHost _exec = null!;
    private readonly FakeTimeProvider _time = new();
    private readonly HttpClient _http = new();
    private Guid _instance;

    public async Task InitializeAsync()
    {
        _cell = await CellHarness.CreateAsync(healthCheckTimeoutSeconds: 10);
        var start = _cell.Start("exec busybox httpd -f -p $PORT -h /home/vcap/app");
        _instance = start.InstanceId;
        await _cell.Instances.StartAsync(start, CancellationToken.None);
        await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Running);
        var options = Options.Create(new CellOptions { ExecUrl = "http://127.0.0.1:0", ExecGrantKey = Key, ExecGrantSeconds = 30 });
        _exec = new CellExecHost(_cell.Instances, _cell.Sandbox, new ExecNonces(_time, options), NullLoggerFactory.Instance, options);
        await _exec.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _exec.StopAsync(CancellationToken.None);
        await _exec.DisposeAsync();
        await _cell.DisposeAsync();
    }

    private async Task<string> NonceAsync()
    {
        using var response = await _http.PostAsync($"{_exec.AdvertisedUrl}/v1/nonce", null);
        response.EnsureSuccessStatusCode();
        var nonce = await response.Content.ReadFromJsonAsync<ExecNonce>(Json);
        Assert.Equal(30, nonce!.ExpiresInSeconds);
        return nonce.Nonce;
    }

    private async Task<(HttpStatusCode Status, string Body)> ExecAsync(Guid instance, string[] command, string? grant)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{_exec.AdvertisedUrl}/v1/instances/{instance}/exec")
        {
            Content = JsonContent.Create(new ExecRequest(command), options: Json),
        };
        if (grant is not null) request.Headers.Authorization = new AuthenticationHeaderValue(ExecGrant.Scheme, grant);
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Sign(string nonce, Guid instance, string[] command, string key = Key) =>
        ExecGrant.For(nonce, instance, "alice", command).Sign(ExecGrantKey.Parse(key, "test").Key!);

    private static string Stdout(string ndjson) => string.Concat(ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(l => JsonSerializer.Deserialize<ExecFrame>(l, Json)!)
        .Where(f => f.Stream == "stdout").Select(f => Encoding.UTF8.GetString(Convert.FromBase64String(f.Data!))));

    [Fact]
    public async Task A_grant_runs_its_command_once_and_a_replay_is_refused()
    {
        string[] command = ["echo", "granted"];
        var grant = Sign(await NonceAsync(), _instance, command);

        var (status, body) = await ExecAsync(_instance, command, grant);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("granted\n", Stdout(body));
        Assert.Contains("\"exitCode\":0", body);

        var replay = await ExecAsync(_instance, command, grant);
        Assert.Equal(HttpStatusCode.Forbidden, replay.Status);
        Assert.Contains("not outstanding", replay.Body);
    }

    [Fact]
    public async Task A_grant_for_another_instance_is_refused_and_used_up()
    {
        string[] command = ["echo", "hi"];
        var grant = Sign(await NonceAsync(), Guid.NewGuid(), command);

        var (status, body) = await ExecAsync(_instance, command, grant);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("is for instance", body);
        Assert.DoesNotContain("exitCode", body);
    }

    [Fact]
    public async Task A_grant_for_another_command_is_refused()
    {
        var grant = Sign(await NonceAsync(), _instance, ["echo", "hi"]);

        var (status, body) = await ExecAsync(_instance, ["sh", "-c", "echo hi; rm -rf /home/vcap/app"], grant);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("another command", body);
        // The argv is digested argument by argument: the same words split differently are another command.
        var split = await ExecAsync(_instance, ["echo hi"], Sign(await NonceAsync(), _instance, ["echo", "hi"]));
        Assert.Equal(HttpStatusCode.Forbidden, split.Status);
    }

    [Fact]
    public async Task A_nonce_older_than_ExecGrantSeconds_by_the_cells_clock_is_refused()
    {
        string[] command = ["echo", "late"];
        var fresh = Sign(await NonceAsync(), _instance, command);
        var stale = Sign(await NonceAsync(), _instance, command);
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(HttpStatusCode.OK, (await ExecAsync(_instance, command, fresh)).Status);

        _time.Advance(TimeSpan.FromSeconds(2));
        var (status, body) = await ExecAsync(_instance, command, stale);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("expired", body);
    }

    [Fact]
    public async Task A_wrong_signature_a_missing_grant_and_a_nonce_never_issued_are_refused()
    {
        string[] command = ["echo", "hi"];
        var nonce = await NonceAsync();

        var forged = await ExecAsync(_instance, command, Sign(nonce, _instance, command, key: "another-key-0123456789"));
        Assert.Equal(HttpStatusCode.Unauthorized, forged.Status);
        Assert.Contains("signature is not valid", forged.Body);

        var tampered = Sign(nonce, _instance, command);
        tampered = tampered[..^2] + (tampered[^2] == 'A' ? "B" : "A") + tampered[^1];
        Assert.Equal(HttpStatusCode.Unauthorized, (await ExecAsync(_instance, command, tampered)).Status);

        var missing = await ExecAsync(_instance, command, grant: null);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.Status);
        Assert.Contains("exec grant is required", missing.Body);

        var invented = await ExecAsync(_instance, command, Sign("0123456789abcdef", _instance, command));
        Assert.Equal(HttpStatusCode.Forbidden, invented.Status);

        // The forgeries did not use the nonce up: the real grant for it still runs.
        Assert.Equal(HttpStatusCode.OK, (await ExecAsync(_instance, command, Sign(nonce, _instance, command))).Status);
    }
}
