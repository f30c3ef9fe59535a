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

    [GeneratedRegex(@"JVM memory for MEMORY_LIMIT=1024m[^:]*: -Xmx(?<heap>\d+)M [^\n]*")]
    private static partial Regex FlagsLine();

    [GeneratedRegex(@"max heap (\d+)")]
    private static partial Regex MaxHeap();
}
