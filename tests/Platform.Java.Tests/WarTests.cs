using Platform.TestSupport;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Platform.Java.Tests;

/// <summary>WARs pushed as users push them (`plat push NAME -m 1G -p app.war`), served by the Tomcat their servlet API needs.</summary>
[Collection(JavaCollection.Name)]
public sealed partial class WarTests(JavaFixture fixture, ITestOutputHelper output)
{
    [Theory]
    [InlineData("xwms", "xwms.war", "javax.servlet", "9.0", "WEB-INF/classes/hello/HelloServlet.class uses javax.servlet")]
    [InlineData("jwms", "jwms.war", "jakarta.servlet", "10.1", "WEB-INF/classes/hello/HelloServlet.class uses jakarta.servlet")]
    public async Task A_war_runs_on_the_tomcat_its_servlet_api_needs_and_renders_its_jsp(
        string app, string war, string api, string tomcat, string reason)
    {
        var push = await fixture.PushAsync(app, "-i", "1", "-m", "1G", "-p", fixture.App(war));
        output.WriteLine(push.ToString());
        Assert.True(push.ExitCode == 0, $"push failed: {push}\nplatd log:\n{fixture.Platd.Log}");
        var staging = string.Join('\n', (push.Stdout + push.Stderr).Split('\n').Where(l => l.Contains("[STG/0]")));

        // The staging log says what was chosen and why, and the JVM flags for -m 1G.
        Assert.Contains("-----> Buildpack java", staging);
        Assert.Contains($"Container: Tomcat {tomcat}.", staging);
        Assert.Contains($"({api}; {reason})", staging);
        Assert.Matches(@"JRE: OpenJDK 17\.0\.\d+", staging);
        Assert.Contains("Launch dependencies: jre, jre-libjpeg, jre-liblcms2, " + (tomcat == "9.0" ? "tomcat9" : "tomcat10") + ", jdt", staging);
        var flags = FlagsLine().Match(staging);
        Assert.True(flags.Success, "no JVM memory line in:\n" + staging);
        var heapMb = long.Parse(flags.Groups["heap"].Value);
        Assert.InRange(heapMb, 100, 1023);
        Assert.Contains("-XX:MaxMetaspaceSize=", flags.Value);
        Assert.Contains("-XX:ReservedCodeCacheSize=240M", flags.Value);
        Assert.Contains("-XX:+ExitOnOutOfMemoryError", flags.Value);

        // The servlet, through the router by Host header.
        var hello = await fixture.GetOkAsync(app, "/hello/");
        Assert.Contains($"Hello from {api} on Apache Tomcat/{tomcat}", hello);
        // The heap the JVM really has is the calculated one, under -m.
        var maxHeap = long.Parse(MaxHeap().Match(hello).Groups[1].Value);
        Assert.True(maxHeap < 1024L * 1024 * 1024, $"max heap {maxHeap} is not below -m 1G");
        Assert.True(maxHeap <= heapMb * 1024 * 1024, $"max heap {maxHeap} is above the calculated -Xmx{heapMb}M");

        // The JSP page (compiled by Jasper with JDT at first request) is the welcome file.
        var jsp = await fixture.GetOkAsync(app, "/");
        Assert.Contains($"JSP rendered by Apache Tomcat/{tomcat}", jsp);
        Assert.Contains("6 x 7 = 42", jsp);

        // The app's log says which flags it started with.
        var logs = await fixture.Platd.PlatAsync(["logs", app, "--recent"]);
        Assert.Contains("java: JVM memory for MEMORY_LIMIT=1024m: -Xmx" + heapMb + "M", logs.Stdout);
        await fixture.DeleteAsync(app);
    }

    [Fact]
    public async Task A_war_with_an_index_html_at_its_root_runs_on_tomcat_not_as_a_static_site()
    {
        var push = await fixture.PushAsync("sitewar", "-i", "1", "-m", "1G", "-p", fixture.App("site.war"));
        output.WriteLine(push.ToString());
        Assert.True(push.ExitCode == 0, $"push failed: {push}\nplatd log:\n{fixture.Platd.Log}");
        Assert.Contains("-----> java detected: WEB-INF/web.xml in the WAR", push.Stdout);
        Assert.Contains("-----> Buildpack java", push.Stdout);

        // Tomcat serves the welcome page and, beside it, the servlet: no static file server could do the second.
        Assert.Contains("Welcome page of a WAR", await fixture.GetOkAsync("sitewar", "/"));
        Assert.Contains("Hello from javax.servlet on Apache Tomcat/9.0", await fixture.GetOkAsync("sitewar", "/hello/"));
        await fixture.DeleteAsync("sitewar");
    }

    [Fact]
    public async Task With_two_instances_a_browser_stays_on_the_instance_holding_its_session()
    {
        var push = await fixture.PushAsync("sticky", "-i", "2", "-m", "1G", "-p", fixture.App("xwms.war"));
        Assert.True(push.ExitCode == 0, $"push failed: {push}\nplatd log:\n{fixture.Platd.Log}");
        using var api = await fixture.Platd.ApiClientAsync();
        await fixture.WaitUntilAsync(async () =>
        {
            var detail = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<Platform.Contracts.Api.AppDetailResponse>(api, TestSpaces.Default + "/apps/sticky");
            return detail!.InstanceDetails.Count(i => i.State == "RUNNING") == 2;
        }, TimeSpan.FromMinutes(3), "two running instances of sticky");
        await fixture.GetOkAsync("sticky", "/hello/");

        // Without cookies, both instances answer.
        var instances = new HashSet<string>();
        for (var i = 0; i < 20 && instances.Count < 2; i++)
            instances.Add(InstanceOf(await fixture.GetOkAsync("sticky", "/hello/session")));
        Assert.Equal(2, instances.Count);

        // A browser (cookies kept): Tomcat's JSESSIONID and the router's __VCAP_ID__ keep it on one instance,
        // whose session counts every visit.
        var jar = new Dictionary<string, string>();
        using var browser = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri(fixture.Platd.RouterUrl) };
        string? first = null;
        for (var visit = 1; visit <= 6; visit++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/hello/session");
            request.Headers.Host = "sticky.apps.localhost";
            if (jar.Count > 0) request.Headers.Add("Cookie", string.Join("; ", jar.Select(c => $"{c.Key}={c.Value}")));
            using var response = await browser.SendAsync(request);
            if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
                foreach (var pair in setCookies.Select(c => c.Split(';')[0].Split('=', 2)))
                    jar[pair[0]] = pair[1];
            var body = await response.Content.ReadAsStringAsync();
            first ??= InstanceOf(body);
            Assert.Equal($"{first} visits={visit}", body.Trim());
        }
        Assert.Contains("JSESSIONID", jar.Keys);
        Assert.Contains("__VCAP_ID__", jar.Keys);
        await fixture.DeleteAsync("sticky");
    }

    private static string InstanceOf(string body) => body.Trim().Split(' ')[0];

    [GeneratedRegex(@"JVM memory for MEMORY_LIMIT=1024m[^:]*: -Xmx(?<heap>\d+)M [^\n]*")]
    private static partial Regex FlagsLine();

    [GeneratedRegex(@"max heap (\d+)")]
    private static partial Regex MaxHeap();
}
