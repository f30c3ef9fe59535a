using Xunit.Abstractions;

namespace Platform.Java.Tests;

/// <summary>What a user sees when the package is not the Java app they think it is: a failed staging that says why.</summary>
[Collection(JavaCollection.Name)]
public sealed class BadInputTests(JavaFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task A_war_without_web_inf_is_detected_by_no_buildpack_and_the_error_lists_those_tried()
    {
        var push = await fixture.PushAsync("notjava", "-m", "1G", "-p", fixture.App("notjava.war"));
        output.WriteLine(push.ToString());
        Assert.NotEqual(0, push.ExitCode);
        var all = push.Stdout + push.Stderr;
        Assert.Contains("no buildpack detected the app; tried: ", all);
        Assert.Contains("java", all[all.IndexOf("tried: ", StringComparison.Ordinal)..]);
        await fixture.DeleteAsync("notjava");
    }

    [Fact]
    public async Task The_java_buildpack_chosen_for_something_that_is_not_java_says_so()
    {
        var site = Directory.CreateTempSubdirectory("java-site-").FullName;
        await File.WriteAllTextAsync(Path.Combine(site, "index.html"), "<p>static</p>");
        var push = await fixture.PushAsync("javasite", "-m", "1G", "-b", "java", "-p", site);
        output.WriteLine(push.ToString());
        Assert.NotEqual(0, push.ExitCode);
        var all = push.Stdout + push.Stderr;
        Assert.Contains("java: this is not a Java app: no WEB-INF/ (a WAR), no BOOT-INF/ (a Spring Boot JAR) and no META-INF/MANIFEST.MF (a JAR)", all);
        Assert.Contains("bin/supply of buildpack java failed", all);

        var war = await fixture.PushAsync("notjava-b", "-m", "1G", "-b", "java", "-p", fixture.App("notjava.war"));
        Assert.NotEqual(0, war.ExitCode);
        Assert.Contains("java: this is not a Java app", war.Stdout + war.Stderr);
        await fixture.DeleteAsync("javasite");
        await fixture.DeleteAsync("notjava-b");
    }

    [Fact]
    public async Task A_jar_without_main_class_and_without_a_command_fails_saying_how_to_start_it()
    {
        var push = await fixture.PushAsync("nomain", "-m", "1G", "-p", fixture.App("nomain.jar"));
        output.WriteLine(push.ToString());
        Assert.NotEqual(0, push.ExitCode);
        var all = push.Stdout + push.Stderr;
        Assert.Contains("META-INF/MANIFEST.MF names no Main-Class", all);
        Assert.Contains("no start command: buildpack java does not provide one", all);
        await fixture.DeleteAsync("nomain");
    }

    [Fact]
    public async Task A_memory_limit_too_small_for_the_jvm_fails_staging_with_the_numbers()
    {
        var push = await fixture.PushAsync("tiny", "-m", "256M", "-p", fixture.App("server.jar"));
        output.WriteLine(push.ToString());
        Assert.NotEqual(0, push.ExitCode);
        var all = push.Stdout + push.Stderr;
        Assert.Contains("java: the memory limit 256M is too small", all);
        Assert.Contains("stack_threads", all);
        await fixture.DeleteAsync("tiny");
    }

    [Fact]
    public async Task A_jre_version_the_buildpack_does_not_have_is_refused()
    {
        await fixture.CreateWithEnvAsync("jre11", new() { ["JBP_CONFIG_OPEN_JDK_JRE"] = "{ jre: { version: 11.+ } }" });
        var push = await fixture.PushAsync("jre11", "-m", "1G", "-p", fixture.App("server.jar"));
        Assert.NotEqual(0, push.ExitCode);
        Assert.Contains("asks for JRE version 11.+; this buildpack has OpenJDK 17 only", push.Stdout + push.Stderr);
        await fixture.DeleteAsync("jre11");
    }
}
