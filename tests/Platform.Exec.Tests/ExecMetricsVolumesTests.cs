using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Platform.Contracts;
using Platform.Contracts.Api;
using Platform.TestSupport;
using Xunit.Abstractions;

namespace Platform.Exec.Tests;

/// <summary>
/// Per-instance metrics, `plat exec` and named volumes through the real `plat` and a real `platd --dev`, whose cell runs
/// the site in a real sandbox (runc, overlayfs, cgroups).
/// </summary>
[Collection(PlatdWithSiteCollection.Name)]
public sealed class ExecMetricsVolumesTests(PlatdWithSiteFixture fixture, ITestOutputHelper output)
{
    private const string App = PlatdWithSiteFixture.App;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private PlatdProcess Platd => fixture.Platd;

    [Fact]
    public async Task Metrics_of_a_running_instance_are_in_the_api_and_plat_app_and_plausible()
    {
        using var api = await Platd.ApiClientAsync();
        var first = await WaitForInstanceAsync(api, i => i.MemoryBytes > 0 && i.UptimeSeconds is not null && i.DiskBytes is not null, "metrics");
        output.WriteLine(JsonSerializer.Serialize(first, Json));
        Assert.Equal(128L * 1024 * 1024, first.MemoryLimitBytes);
        Assert.InRange(first.MemoryBytes!.Value, 1, first.MemoryLimitBytes!.Value);
        Assert.NotNull(first.CpuPercent);
        Assert.True(first.CpuPercent >= 0, $"cpu {first.CpuPercent}");
        Assert.NotNull(first.DiskLimitBytes);
        Assert.InRange(first.DiskBytes!.Value, 0, first.DiskLimitBytes!.Value);
        Assert.True(first.DiskLimitBytes <= 1024L * 1024 * 1024, $"disk limit {first.DiskLimitBytes} above the app's 1G");
        Assert.NotNull(first.StartedAt);
        Assert.NotNull(first.MetricsAt);

        // Uptime grows with every look (the same instance, a later heartbeat or a later clock).
        var later = await WaitForInstanceAsync(api, i => i.Id == first.Id && i.UptimeSeconds > first.UptimeSeconds, "uptime to grow");
        Assert.Equal(first.StartedAt, later.StartedAt);

        // A file written in the instance shows in its disk use once the cell measures again.
        var write = await Platd.PlatAsync(["exec", App, "--", "sh", "-c", "head -c 3000000 /dev/zero > /tmp/filler"]);
        Assert.True(write.ExitCode == 0, write.ToString());
        var grown = await WaitForInstanceAsync(api, i => i.Id == first.Id && i.DiskBytes >= first.DiskBytes + 3_000_000, "disk use to grow by 3 MB");
        output.WriteLine($"disk {first.DiskBytes} -> {grown.DiskBytes} of {grown.DiskLimitBytes}");

        var summary = await Platd.PlatAsync(["app", App]);
        output.WriteLine(summary.ToString());
        Assert.Equal(0, summary.ExitCode);
        Assert.Contains("cpu", summary.Stdout);
        Assert.Contains("uptime", summary.Stdout);
        Assert.Contains("of 128.0M", summary.Stdout);
        Assert.Matches(@"#0\s+running\s+\S+\s+\d+\.\d%\s+\d+(\.\d)?[BKMG] of 128\.0M\s+\d+(\.\d)?[BKMG] of \d+(\.\d)?[MG]\s+\d+[smhd]", summary.Stdout);
        Assert.Contains($"{PlatdWithSiteFixture.VolumeName}:{PlatdWithSiteFixture.VolumePath}", summary.Stdout);
    }

    [Fact]
    public async Task Exec_runs_as_the_app_in_its_container_and_exits_with_the_commands_code()
    {
        using var api = await Platd.ApiClientAsync();
        await WaitForInstanceAsync(api, _ => true, "a running instance");

        var init = await Platd.PlatAsync(["exec", App, "--", "cat", "/proc/1/cmdline"]);
        output.WriteLine(init.ToString());
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.StartsWith("/.platform-init", init.Stdout); // the container's own PID 1: its pid namespace

        var seven = await Platd.PlatAsync(["exec", App, "--", "sh", "-c", "exit 7"]);
        Assert.True(seven.ExitCode == 7, seven.ToString());

        var streams = await Platd.PlatAsync(["exec", App, "-i", "0", "--", "sh", "-c", "echo to-out; echo to-err >&2; exit 3"]);
        Assert.Equal(3, streams.ExitCode);
        Assert.Equal("to-out\n", streams.Stdout);
        Assert.Contains("to-err", streams.Stderr);

        // The app's user, directory, environment and cgroups (so its limits).
        var same = await Platd.PlatAsync(["exec", App, "--", "sh", "-c",
            "pwd; echo \"index=$CF_INSTANCE_INDEX port=$PORT\"; " +
            "[ \"$(id -u)\" = \"$(awk '/^Uid:/{print $2}' /proc/1/status)\" ] && echo same-uid; " +
            "[ \"$(cat /proc/self/cgroup)\" = \"$(cat /proc/1/cgroup)\" ] && echo same-cgroups; " +
            "[ \"$(readlink /proc/self/ns/net)\" = \"$(readlink /proc/1/ns/net)\" ] && echo same-netns"]);
        output.WriteLine(same.ToString());
        Assert.True(same.ExitCode == 0, same.ToString());
        Assert.Equal(["/home/vcap/app", "index=0 port=8080", "same-uid", "same-cgroups", "same-netns"],
            same.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        // A command that does not exist: the runtime's error, a non-zero code.
        var missing = await Platd.PlatAsync(["exec", App, "--", "/no/such/command"]);
        Assert.NotEqual(0, missing.ExitCode);

        var events = await api.GetFromJsonAsync<List<EventResponse>>($"{TestSpaces.Default}/apps/{App}/events", Json);
        Assert.Contains(events!, e => e.Type == "app.exec" && e.Actor == "admin" && e.Description.Contains("cat /proc/1/cmdline"));
    }

    [Fact]
    public async Task Exec_with_stdin_gives_the_command_those_bytes_and_without_it_an_empty_stdin()
    {
        using var api = await Platd.ApiClientAsync();
        await WaitForInstanceAsync(api, _ => true, "a running instance");

        // plat exec --stdin: a script through sh, and binary bytes checked by their sha256 inside the instance.
        var script = await Platd.PlatAsync(["exec", App, "--stdin", "--", "sh"], stdin: "echo from-script; exit 4\n"u8.ToArray());
        Assert.True(script.ExitCode == 4, script.ToString());
        Assert.Equal("from-script\n", script.Stdout);
        var binary = RandomNumberGenerator.GetBytes(300_000);
        var sum = await Platd.PlatAsync(["exec", App, "--stdin", "--", "sha256sum"], stdin: binary);
        Assert.True(sum.ExitCode == 0, sum.ToString());
        Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(binary)), sum.Stdout);

        // Without --stdin the command reads end of file at once, whatever plat's own stdin holds.
        var none = await Platd.PlatAsync(["exec", App, "--", "wc", "-c"], stdin: "not for the command"u8.ToArray());
        Assert.Equal("0", none.Stdout.Trim());

        // 1 MiB in while 1 MiB comes out (cat echoes it): input and output flow together, nothing waits for ever.
        var mebibyte = RandomNumberGenerator.GetBytes(ExecRequest.MaxStdinBytes);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{TestSpaces.Default}/apps/{App}/exec")
        {
            Content = JsonContent.Create(new ExecRequest(["cat"], 0, Convert.ToBase64String(mebibyte)), options: Json),
        };
        using var response = await api.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var echoed = new MemoryStream();
        ExecFrame? last = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            var frame = JsonSerializer.Deserialize<ExecFrame>(line, Json)!;
            if (frame.Data is not null) echoed.Write(Convert.FromBase64String(frame.Data));
            else last = frame;
        }
        Assert.Equal(0, last?.ExitCode);
        Assert.True(mebibyte.AsSpan().SequenceEqual(echoed.ToArray()), $"echoed {echoed.Length} bytes, not the 1 MiB sent");

        // Bad stdin: over the limit, or not base64 (400 from the API); over the limit in plat, refused before sending.
        var tooBig = await api.PostAsJsonAsync($"{TestSpaces.Default}/apps/{App}/exec",
            new ExecRequest(["cat"], 0, Convert.ToBase64String(new byte[ExecRequest.MaxStdinBytes + 1])), Json);
        Assert.Equal(HttpStatusCode.BadRequest, tooBig.StatusCode);
        Assert.Contains("at most 1048576 bytes", await tooBig.Content.ReadAsStringAsync());
        var notBase64 = await api.PostAsJsonAsync($"{TestSpaces.Default}/apps/{App}/exec", new ExecRequest(["cat"], 0, "not base64!"), Json);
        Assert.Equal(HttpStatusCode.BadRequest, notBase64.StatusCode);
        Assert.Contains("base64", await notBase64.Content.ReadAsStringAsync());
        var cliTooBig = await Platd.PlatAsync(["exec", App, "--stdin", "--", "cat"], stdin: new byte[ExecRequest.MaxStdinBytes + 1]);
        Assert.Equal(1, cliTooBig.ExitCode);
        Assert.Contains("--stdin takes at most 1 MiB", cliTooBig.Stderr);
    }

    [Fact]
    public async Task Exec_output_streams_live_before_the_command_ends()
    {
        using var api = await Platd.ApiClientAsync();
        await WaitForInstanceAsync(api, _ => true, "a running instance");
        var flag = $"/tmp/go-{Guid.NewGuid():N}";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{TestSpaces.Default}/apps/{App}/exec")
        {
            Content = JsonContent.Create(new ExecRequest(["sh", "-c", $"echo ready; while [ ! -e {flag} ]; do sleep 0.1; done; echo done"]), options: Json),
        };
        using var response = await api.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        // "ready" arrives while the command is still waiting for the flag, which only a second exec creates.
        var firstFrame = JsonSerializer.Deserialize<ExecFrame>((await reader.ReadLineAsync())!, Json)!;
        Assert.Equal("stdout", firstFrame.Stream);
        Assert.Equal("ready\n", Encoding.UTF8.GetString(Convert.FromBase64String(firstFrame.Data!)));
        var touch = await Platd.PlatAsync(["exec", App, "--", "touch", flag]);
        Assert.True(touch.ExitCode == 0, touch.ToString());

        var rest = new List<ExecFrame>();
        while (await reader.ReadLineAsync() is { } line) rest.Add(JsonSerializer.Deserialize<ExecFrame>(line, Json)!);
        Assert.Equal("done\n", string.Concat(rest.Where(f => f.Data is not null).Select(f => Encoding.UTF8.GetString(Convert.FromBase64String(f.Data!)))));
        Assert.Equal(0, rest.Last().ExitCode);
    }

    [Fact]
    public async Task Exec_is_for_space_developers_unless_turned_off_and_unknown_apps_or_indexes_are_404()
    {
        using var admin = await Platd.ApiClientAsync();
        await WaitForInstanceAsync(admin, _ => true, "a running instance");
        var username = "dev-" + Guid.NewGuid().ToString("N")[..6];
        const string password = "developer-password";
        var created = await admin.PostAsJsonAsync("/v1/users", new UserRequest(username, password), Json);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("user", (await created.Content.ReadFromJsonAsync<UserResponse>(Json))!.Role);

        using var dev = new HttpClient { BaseAddress = new Uri(Platd.ApiUrl) };
        var token = await (await dev.PostAsJsonAsync("/v1/tokens", new TokenRequest(username, password), Json)).Content.ReadFromJsonAsync<TokenResponse>(Json);
        dev.DefaultRequestHeaders.Authorization = new("Bearer", token!.AccessToken);
        Task<HttpResponseMessage> ExecAsDev() => dev.PostAsJsonAsync($"{TestSpaces.Default}/apps/{App}/exec", new ExecRequest(["true"]), Json);
        Task SetRoleAsync(string role, bool set) => (set
            ? admin.PutAsync($"{TestSpaces.Default}/users/{username}/roles/{role}", null)
            : admin.DeleteAsync($"{TestSpaces.Default}/users/{username}/roles/{role}")).ContinueWith(t => t.Result.EnsureSuccessStatusCode());

        // No role in the space: it does not exist for them.
        Assert.Equal(HttpStatusCode.NotFound, (await dev.GetAsync($"{TestSpaces.Default}/apps/{App}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ExecAsDev()).StatusCode);
        // An auditor sees the app but may not exec.
        await SetRoleAsync("SpaceAuditor", true);
        Assert.Equal(HttpStatusCode.OK, (await dev.GetAsync($"{TestSpaces.Default}/apps/{App}")).StatusCode);
        var refused = await ExecAsDev();
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("SpaceDeveloper", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await dev.PostAsJsonAsync("/v1/users", new UserRequest("x-" + username, password), Json)).StatusCode);

        // A developer may, through plat too, until a space manager or developer turns it off.
        await SetRoleAsync("SpaceDeveloper", true);
        var devHome = Path.Combine(Platd.DataDir, "plat-home-" + username);
        var devEnv = new Dictionary<string, string> { ["PLAT_HOME"] = devHome };
        var login = await Platd.PlatAsync(["login", "-a", Platd.ApiUrl, "-u", username],
            new Dictionary<string, string> { ["PLAT_HOME"] = devHome, ["PLAT_PASSWORD"] = password });
        Assert.True(login.ExitCode == 0, login.ToString());
        var devExec = await Platd.PlatAsync(["exec", App, "--", "sh", "-c", "echo as-developer"], devEnv);
        Assert.True(devExec.ExitCode == 0, devExec.ToString());
        Assert.Contains("as-developer", devExec.Stdout);

        Assert.True((await Platd.PlatAsync(["disallow-space-ssh", "dev"])).ExitCode == 0);
        var spaceOff = await Platd.PlatAsync(["exec", App, "--", "true"], devEnv);
        Assert.Equal(1, spaceOff.ExitCode);
        Assert.Contains("exec is disabled for space default/dev", spaceOff.Stderr);
        Assert.True((await Platd.PlatAsync(["allow-space-ssh", "dev"])).ExitCode == 0);
        Assert.True((await Platd.PlatAsync(["disable-ssh", App], devEnv)).ExitCode == 0);
        var appOff = await ExecAsDev();
        Assert.Equal(HttpStatusCode.Forbidden, appOff.StatusCode);
        Assert.Contains($"exec is disabled for app {App}", await appOff.Content.ReadAsStringAsync());
        Assert.True((await Platd.PlatAsync(["enable-ssh", App], devEnv)).ExitCode == 0);
        Assert.Equal(HttpStatusCode.OK, (await ExecAsDev()).StatusCode);
        await SetRoleAsync("SpaceDeveloper", false);
        await SetRoleAsync("SpaceAuditor", false);

        // Without a token at all: 401.
        using var anonymous = new HttpClient { BaseAddress = new Uri(Platd.ApiUrl) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync($"{TestSpaces.Default}/apps/{App}/exec", new ExecRequest(["true"]), Json)).StatusCode);

        // Unknown app, unknown index: 404 with a clear detail.
        var noApp = await Platd.PlatAsync(["exec", "no-such-app", "--", "true"]);
        Assert.Equal(1, noApp.ExitCode);
        Assert.Contains("app 'no-such-app' not found", noApp.Stderr);
        var noIndex = await Platd.PlatAsync(["exec", App, "-i", "5", "--", "true"]);
        Assert.Equal(1, noIndex.ExitCode);
        Assert.Contains("instance 5 of app 'site' is not running", noIndex.Stderr);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsJsonAsync($"{TestSpaces.Default}/apps/{App}/exec", new ExecRequest(["true"], 5), Json)).StatusCode);

        // Bad bodies: 400.
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync($"{TestSpaces.Default}/apps/{App}/exec", new ExecRequest([]), Json)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync($"{TestSpaces.Default}/apps/{App}/exec", new ExecRequest(["true"], -1), Json)).StatusCode);
        var noCommand = await Platd.PlatAsync(["exec", App]);
        Assert.Equal(1, noCommand.ExitCode);
    }

    [Fact]
    public async Task A_volume_keeps_its_files_across_restart_and_restage()
    {
        using var api = await Platd.ApiClientAsync();
        var before = await WaitForInstanceAsync(api, _ => true, "a running instance");
        var content = "kept-" + Guid.NewGuid().ToString("N")[..8];
        var write = await Platd.PlatAsync(["exec", App, "--", "sh", "-c", $"echo {content} > {PlatdWithSiteFixture.VolumePath}/file && id -u"]);
        Assert.True(write.ExitCode == 0, write.ToString());

        // On the host: a directory per space and name, owned by the app user.
        var hostDir = Path.Combine(fixture.VolumesRoot, "default", PlatdWithSiteFixture.VolumeName);
        Assert.Equal(content + "\n", await File.ReadAllTextAsync(Path.Combine(hostDir, "file")));
        Assert.Equal("2000", StatOwner(hostDir));

        var restart = await Platd.PlatAsync(["restart", App]);
        Assert.True(restart.ExitCode == 0, restart.ToString());
        var restarted = await WaitForInstanceAsync(api, i => i.Id != before.Id, "a new instance after restart");
        var afterRestart = await Platd.PlatAsync(["exec", App, "--", "cat", $"{PlatdWithSiteFixture.VolumePath}/file"]);
        Assert.True(afterRestart.ExitCode == 0, afterRestart.ToString());
        Assert.Equal(content + "\n", afterRestart.Stdout);

        // Restage: a new droplet, new instances, the same volume. (A push of the same files changes nothing now.)
        var push = await Platd.PlatAsync(["restage", App]);
        Assert.True(push.ExitCode == 0, push.ToString());
        await WaitForInstanceAsync(api, i => i.Id != restarted.Id && i.Id != before.Id, "a new instance after restage");
        var afterRestage = await Platd.PlatAsync(["exec", App, "--", "cat", $"{PlatdWithSiteFixture.VolumePath}/file"]);
        Assert.True(afterRestage.ExitCode == 0, afterRestage.ToString());
        Assert.Equal(content + "\n", afterRestage.Stdout);
        var app = await api.GetFromJsonAsync<AppDetailResponse>($"{TestSpaces.Default}/apps/{App}", Json);
        Assert.Equal([new VolumeMount(PlatdWithSiteFixture.VolumeName, PlatdWithSiteFixture.VolumePath)], app!.App.Volumes);
    }

    [Theory]
    [InlineData("Bad", "/data", "not a valid volume name")]
    [InlineData("data", "relative", "must be absolute")]
    [InlineData("data", "/", "cannot be mounted at '/'")]
    [InlineData("data", "/x/../etc", "'..'")]
    [InlineData("data", "/proc/x", "container runtime")]
    [InlineData("data", "/sys", "container runtime")]
    [InlineData("data", "/dev/x", "container runtime")]
    [InlineData("data", "/home/vcap/app", "hide the app")]
    public async Task Bad_volumes_are_refused_with_400(string name, string path, string reason)
    {
        using var api = await Platd.ApiClientAsync();
        var patch = await api.PatchAsJsonAsync($"{TestSpaces.Default}/apps/{App}", new AppRequest(Volumes: [new VolumeMount(name, path)]), Json);
        Assert.Equal(HttpStatusCode.BadRequest, patch.StatusCode);
        Assert.Contains(reason, await patch.Content.ReadAsStringAsync());
        var create = await api.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest("vol-" + Guid.NewGuid().ToString("N")[..6], Volumes: [new VolumeMount(name, path)]), Json);
        Assert.Equal(HttpStatusCode.BadRequest, create.StatusCode);

        // plat refuses before sending anything.
        var push = await Platd.PlatAsync(["push", App, "-p", PlatdWithSiteFixture.SiteDir, "--volume", $"{name}:{path}"]);
        Assert.Equal(1, push.ExitCode);
        Assert.Contains("invalid --volume", push.Stderr);
        Assert.DoesNotContain("Pushing", push.Stdout);
    }

    [Fact]
    public async Task Duplicate_volumes_and_missing_paths_are_refused()
    {
        using var api = await Platd.ApiClientAsync();
        var twice = await api.PatchAsJsonAsync($"{TestSpaces.Default}/apps/{App}",
            new AppRequest(Volumes: [new VolumeMount("a", "/a"), new VolumeMount("a", "/b")]), Json);
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        var noPath = await api.PatchAsync($"{TestSpaces.Default}/apps/{App}",
            new StringContent("""{"volumes":[{"name":"a"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, noPath.StatusCode);
        var push = await Platd.PlatAsync(["push", App, "-p", PlatdWithSiteFixture.SiteDir, "--volume", "data"]);
        Assert.Equal(1, push.ExitCode);
        Assert.Contains("NAME:/path", push.Stderr);
        // The app's volume is as it was.
        var app = await api.GetFromJsonAsync<AppDetailResponse>($"{TestSpaces.Default}/apps/{App}", Json);
        Assert.Equal([new VolumeMount(PlatdWithSiteFixture.VolumeName, PlatdWithSiteFixture.VolumePath)], app!.App.Volumes);
    }

    /// <summary>Polls the app until instance 0 is RUNNING and matches; fails with the last answer after 3 minutes.</summary>
    private async Task<InstanceResponse> WaitForInstanceAsync(HttpClient api, Func<InstanceResponse, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        AppDetailResponse? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await api.GetFromJsonAsync<AppDetailResponse>($"{TestSpaces.Default}/apps/{App}", Json);
            var match = last!.InstanceDetails.FirstOrDefault(i => i.Index == 0 && i.State == "RUNNING" && condition(i));
            if (match is not null) return match;
            await Task.Delay(300);
        }
        throw new TimeoutException($"waited 3 minutes for {what}; last answer: {JsonSerializer.Serialize(last, Json)}\nplatd log:\n{Platd.Log[^Math.Min(Platd.Log.Length, 20000)..]}");
    }

    private static string StatOwner(string path)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return text;
    }
}
