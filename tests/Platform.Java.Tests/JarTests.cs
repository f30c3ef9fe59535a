using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Platform.Java.Tests;

/// <summary>Executable JARs: started by their Main-Class, by -c, or by a Procfile's web: line.</summary>
[Collection(JavaCollection.Name)]
public sealed partial class JarTests(JavaFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task An_executable_jar_starts_from_its_main_class_with_a_heap_below_its_memory_limit()
    {
        var push = await fixture.PushAsync("jar-main", "-m", "1G", "-p", fixture.App("server.jar"));
        output.WriteLine(push.ToString());
        Assert.True(push.ExitCode == 0, $"push failed: {push}\nplatd log:\n{fixture.Platd.Log}");
        Assert.Contains("Container: none, an executable JAR (Main-Class hello.Server)", push.Stdout);
        Assert.Contains("Start command (from buildpack java): exec java $JAVA_OPTS -cp /home/vcap/app/. hello.Server", push.Stdout);
        Assert.Contains("Launch dependencies: jre, jre-libjpeg, jre-liblcms2", push.Stdout);
        Assert.DoesNotContain("tomcat", push.Stdout.Split('\n').Single(l => l.Contains("Launch dependencies")));

        var body = await fixture.GetOkAsync("jar-main", "/");
        Assert.Contains("startedWith=Main-Class", body);
        Assert.Contains("javaVersion=17.", body);
        var max = long.Parse(MaxMemory().Match(body).Groups[1].Value);
        Assert.InRange(max, 64L * 1024 * 1024, 1024L * 1024 * 1024 - 1);
        await fixture.DeleteAsync("jar-main");
    }

    [Fact]
    public async Task A_jar_runs_the_command_given_with_c_and_jbp_config_changes_the_memory_calculation()
    {
        await fixture.CreateWithEnvAsync("jar-cmd", new()
        {
            ["JBP_CONFIG_OPEN_JDK_JRE"] = "{ jre: { version: 17.+ }, memory_calculator: { stack_threads: 20 } }",
            ["JAVA_OPTS"] = "-Dgreeting=hi",
        });
        // 256M would not hold 250 threads' stacks plus the code cache; 20 threads do fit.
        var push = await fixture.PushAsync("jar-cmd", "-m", "512M", "-p", fixture.App("server.jar"),
            "-c", "java $JAVA_OPTS -cp . hello.Server from-c");
        output.WriteLine(push.ToString());
        Assert.True(push.ExitCode == 0, $"push failed: {push}\nplatd log:\n{fixture.Platd.Log}");
        Assert.Contains("Start command (from -c): java $JAVA_OPTS -cp . hello.Server from-c", push.Stdout);
        Assert.Contains("20 threads x 1M stack", push.Stdout);
        Assert.Contains("JAVA_OPTS from the app's environment follow: -Dgreeting=hi", push.Stdout);

        var body = await fixture.GetOkAsync("jar-cmd", "/");
        Assert.Contains("startedWith=from-c", body);
        var max = long.Parse(MaxMemory().Match(body).Groups[1].Value);
        Assert.True(max < 512L * 1024 * 1024, $"max heap {max} is not below -m 512M");
        await fixture.DeleteAsync("jar-cmd");
    }

    [Fact]
    public async Task A_procfile_web_line_overrides_the_main_class()
    {
        var push = await fixture.PushAsync("jar-procfile", "-m", "1G", "-p", fixture.App("procfile"));
        output.WriteLine(push.ToString());
        Assert.True(push.ExitCode == 0, $"push failed: {push}\nplatd log:\n{fixture.Platd.Log}");
        Assert.Contains("Start command (from Procfile): java $JAVA_OPTS -cp . hello.Server from-procfile", push.Stdout);
        var body = await fixture.GetOkAsync("jar-procfile", "/");
        Assert.Contains("startedWith=from-procfile", body);
        await fixture.DeleteAsync("jar-procfile");
    }

    [GeneratedRegex(@"maxMemory=(\d+)")]
    private static partial Regex MaxMemory();
}
