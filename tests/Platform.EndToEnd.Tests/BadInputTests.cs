using Platform.TestSupport;

namespace Platform.EndToEnd.Tests;

/// <summary>What a user gets from the real CLI against a real platd when the input is wrong: a clear message, a non-zero exit, nothing written.</summary>
[Collection(PlatdCollection.Name)]
public sealed class BadInputTests(PlatdFixture fixture)
{
    private PlatdProcess Platd => fixture.Platd;

    [Theory]
    [InlineData("Bad_Name", "-m", "256M", "DNS")]
    [InlineData("okname", "-m", "0", "size")]
    [InlineData("okname", "-m", "lots", "size")]
    public async Task Push_with_a_bad_name_or_size_fails_clearly_and_creates_nothing(string name, string flag, string value, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("bad-push-");
        await File.WriteAllTextAsync(Path.Combine(dir.FullName, "index.html"), "x");
        var result = await Platd.PlatAsync(["push", name, "-p", dir.FullName, flag, value]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(expected, result.Stderr, StringComparison.OrdinalIgnoreCase);
        var apps = await Platd.PlatAsync(["apps"]);
        Assert.Equal(0, apps.ExitCode);
        Assert.DoesNotContain(name, apps.Stdout);
    }

    [Fact]
    public async Task An_unknown_app_is_reported_as_not_found()
    {
        var result = await Platd.PlatAsync(["app", "no-such-app"]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("not found", result.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Without_login_commands_are_refused()
    {
        var home = Directory.CreateTempSubdirectory("plat-nologin-").FullName;
        var result = await Platd.PlatAsync(["apps"], new Dictionary<string, string> { ["PLAT_HOME"] = home });
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("login", result.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_wrong_password_does_not_log_in()
    {
        var home = Directory.CreateTempSubdirectory("plat-badpw-").FullName;
        var result = await Platd.PlatAsync(["login", "-a", Platd.ApiUrl, "-u", "admin"],
            new Dictionary<string, string> { ["PLAT_HOME"] = home, ["PLAT_PASSWORD"] = "wrong" });
        Assert.NotEqual(0, result.ExitCode);
        Assert.False(File.Exists(Path.Combine(home, "config.json")) &&
                     File.ReadAllText(Path.Combine(home, "config.json")).Contains("token", StringComparison.OrdinalIgnoreCase));
    }
}
