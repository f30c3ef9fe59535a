using System.IO.Compression;
using System.Net.Http.Json;
using Microsoft.Playwright;
using Platform.Contracts.Api;
using Platform.TestSupport;

namespace Platform.Dashboard.Tests;

/// <summary>
/// One real platd (--dev, serving the built dashboard from web/dist) and one headless Debian Chromium driven by
/// Playwright, for all the browser tests; the static site is pushed once with the real plat. Streams are closed by
/// the server every few seconds (Api:StreamMaxSeconds), so every test also runs across reconnects.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    public const string Space = "00000000-0000-4000-8000-0000000000b1";
    public const string SiteApp = "site";
    public const int StreamMaxSeconds = 4;

    private PlatdProcess? _platd;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public PlatdProcess Platd => _platd ?? throw new InvalidOperationException("platd not started");
    public IBrowser Browser => _browser ?? throw new InvalidOperationException("browser not started");
    public HttpClient Api { get; private set; } = null!;
    public HttpClient Router { get; private set; } = null!;

    public static string SiteDir => Path.Combine(TestEnvironment.RepoRoot, "tests", "Platform.EndToEnd.Tests", "apps", "site");
    public static string DashboardDir => Path.Combine(TestEnvironment.RepoRoot, "web", "dist");
    public static string ImagesDir => Path.Combine(TestEnvironment.RepoRoot, "docs", "images");

    public async Task InitializeAsync()
    {
        // Expectations wait for what a person would see; 5 s (Playwright's default) is too short for a sign-in
        // (PBKDF2 with 600,000 iterations) or a drained stop on a loaded 2-core machine. A wait, not a timed assertion.
        Assertions.SetDefaultExpectTimeout(30_000);
        if (!File.Exists(Path.Combine(DashboardDir, "index.html")))
            throw new InvalidOperationException($"the dashboard is not built in {DashboardDir}: run (cd web && npm ci && npm run build), as ./deploy/test.sh does");
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"{Chromium} is missing: apt-get install chromium (./deploy/test.sh installs it)");
        _platd = await PlatdProcess.StartAsync(subnetOctet: 231, new Dictionary<string, string>
        {
            ["Api:DashboardDir"] = DashboardDir,
            ["Api:StreamMaxSeconds"] = StreamMaxSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Api:LiveIntervalMilliseconds"] = "300",
            ["Router:StatsSeconds"] = "1",
            ["Api:MetricsResolutionSeconds"] = "1",
        });
        Api = await Platd.ApiClientAsync();
        Router = new HttpClient { BaseAddress = new Uri(Platd.RouterUrl), Timeout = TimeSpan.FromSeconds(10) };
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A new browser context (its own cookies) with a page, logged in as the user.</summary>
    public async Task<IPage> LoggedInPageAsync(string username = "admin", string? password = null)
    {
        var page = await NewPageAsync();
        await page.GotoAsync(Platd.ApiUrl + "/login");
        await page.GetByLabel("Username").FillAsync(username);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password ?? Platd.AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Log out" })).ToBeVisibleAsync();
        return page;
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 860 },
            AcceptDownloads = true,
            ColorScheme = ColorScheme.Light,
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public string AppUrl(string app, string tab = "") =>
        $"{Platd.ApiUrl}/spaces/{Space}/apps/{Uri.EscapeDataString(app)}{(tab.Length > 0 ? "/" + tab : "")}";

    /// <summary>Pushes the static site with the real plat (the slow part: staging), unless it runs already.</summary>
    public async Task EnsureSiteAsync()
    {
        var detail = await FindAppAsync(SiteApp);
        if (detail is { App.State: "STARTED" } && detail.App.RunningInstances >= 1) return;
        var push = await Platd.PlatAsync(["push", SiteApp, "-p", SiteWithMarkupDir(), "-m", "64M", "-k", "256M"]);
        if (push.ExitCode != 0) throw new InvalidOperationException($"push failed: {push}\nplatd log:\n{Platd.Log}");
    }

    /// <summary>
    /// The end-to-end tests' static site plus cgi-bin/markup, which writes a line with markup in it to the app's
    /// stderr (its log), as any app may.
    /// </summary>
    private static string SiteWithMarkupDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dashboard-site-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var file in Directory.GetFiles(SiteDir, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, Path.GetRelativePath(SiteDir, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file));
        }
        var markup = Path.Combine(dir, "cgi-bin", "markup");
        File.WriteAllText(markup, "#!/bin/sh\necho '<script>alert(1)</script>' >&2\necho 'Content-Type: text/plain'\necho\necho ok\n");
        File.SetUnixFileMode(markup, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return dir;
    }

    public async Task<AppDetailResponse?> FindAppAsync(string name)
    {
        var response = await Api.GetAsync($"/v1/spaces/{Space}/apps/{name}");
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<AppDetailResponse>() : null;
    }

    /// <summary>A request to the app through the router, by Host header.</summary>
    public async Task<HttpResponseMessage> RequestAsync(string app, string pathAndQuery)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Host = $"{app}.apps.localhost";
        return await Router.SendAsync(request);
    }

    /// <summary>A zip of the static site with its own page text, for a push from the browser.</summary>
    public static string SiteZip(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"dashboard-push-{Guid.NewGuid():N}.zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            var entry = zip.CreateEntry("index.html");
            using var w = new StreamWriter(entry.Open());
            w.Write($"<!doctype html><title>{text}</title><p>{text}</p>");
        }
        return path;
    }

    public async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ImagesDir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ImagesDir, $"dashboard-{name}.png"), FullPage = false });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        Api?.Dispose();
        Router?.Dispose();
        if (_platd is not null) await _platd.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard";
}
