namespace Platform.Cli.Tests;

/// <summary>Bad input is refused locally, before any request: a clear message and exit code 1.</summary>
public sealed class ArgumentValidationTests
{
    private static async Task<CliRun.Result> LoggedInRunAsync(params string[] args)
    {
        // A config pointing at a port nothing listens on: if the CLI sent anything, the error would say
        // "could not reach", not the validation message.
        var cli = new CliRun();
        new Config.ConfigStore(cli.Home).Save(new Config.CliConfig("http://127.0.0.1:9", "token", "admin", Guid.NewGuid(), "org", Guid.NewGuid(), "space"));
        return await cli.RunAsync(args);
    }

    [Theory]
    [InlineData("My_App")]
    [InlineData("-x")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task A_bad_app_name_is_refused(string name)
    {
        var r = await LoggedInRunAsync("push", name, "-p", Path.GetTempPath());
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("not a valid app name", r.Err + r.Out);
        Assert.DoesNotContain("could not reach", r.Err);
    }

    [Theory]
    [InlineData("push", "-m", "0", "invalid size for -m: '0' must be at least 1M")]
    [InlineData("push", "-m", "lots", "invalid size for -m: 'lots' is not a size")]
    [InlineData("push", "-k", "1X", "invalid size for -k")]
    [InlineData("push", "-i", "101", "invalid instance count for -i: '101'")]
    [InlineData("push", "-i", "lots", "invalid instance count for -i: 'lots'")]
    [InlineData("scale", "-m", "0", "invalid size for -m")]
    [InlineData("scale", "-i", "many", "invalid instance count")]
    public async Task Bad_sizes_and_counts_are_refused(string verb, string flag, string value, string message)
    {
        var r = await LoggedInRunAsync(verb, "okname", flag, value);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.Err);
        Assert.DoesNotContain("could not reach", r.Err);
    }

    [Fact]
    public async Task Scale_without_anything_to_change_is_refused()
    {
        var r = await LoggedInRunAsync("scale", "okname");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("nothing to scale", r.Err);
    }

    [Fact]
    public async Task A_missing_path_is_refused()
    {
        var r = await LoggedInRunAsync("push", "okname", "-p", "/no/such/dir");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no such file or directory", r.Err);
    }

    [Fact]
    public async Task A_file_that_is_not_an_archive_is_refused()
    {
        var file = Path.GetTempFileName();
        var r = await LoggedInRunAsync("push", "okname", "-p", file);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("must be a .zip, .war or .jar", r.Err);
    }

    [Fact]
    public async Task Commands_need_a_login_first()
    {
        var r = await new CliRun().RunAsync("apps");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("not logged in", r.Err);
        Assert.Contains("plat login", r.Err);
    }

    [Fact]
    public async Task An_unreachable_api_is_named_in_the_error()
    {
        var r = await LoggedInRunAsync("apps");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("could not reach the API at http://127.0.0.1:9", r.Err);
    }

    [Fact]
    public async Task Delete_without_force_and_without_a_terminal_refuses()
    {
        var r = await LoggedInRunAsync("delete", "okname");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("use -f", r.Err);
        Assert.DoesNotContain("could not reach", r.Err);
    }

    [Fact]
    public async Task An_unknown_command_or_option_is_a_usage_error()
    {
        Assert.Equal(1, (await new CliRun().RunAsync("frobnicate")).ExitCode);
        Assert.Equal(1, (await new CliRun().RunAsync("apps", "--bogus")).ExitCode);
        Assert.Equal(1, (await new CliRun().RunAsync("app")).ExitCode); // NAME missing
    }

    [Theory]
    [InlineData("push")]
    [InlineData("login")]
    [InlineData("scale")]
    [InlineData("logs")]
    [InlineData("delete")]
    public async Task Every_command_has_help(string verb)
    {
        var r = await new CliRun().RunAsync(verb, "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Usage:", r.Out);
        Assert.Contains(verb, r.Out);
    }

    [Theory]
    [InlineData("""[{"protocol":"tcp","destination":"10.0.0.0/33","ports":"443"}]""", "rule 0: destination '10.0.0.0/33' is not")]
    [InlineData("""[{"protocol":"tcp","destination":"10.0.0.1","ports":"0-80"}]""", "rule 0: ports '0-80' must be ports or ranges of 1-65535")]
    [InlineData("""[{"protocol":"gre","destination":"10.0.0.1"}]""", "rule 0: protocol must be one of tcp, udp, icmp, all")]
    [InlineData("""{"protocol":"tcp"}""", "is not a JSON array of rules")]
    [InlineData("""[{"protocol":"tcp",""", "is not a JSON array of rules")]
    public async Task A_bad_rules_file_is_refused_before_any_call(string content, string message)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("plat-rules-").FullName, "rules.json");
        File.WriteAllText(file, content);
        var r = await LoggedInRunAsync("create-security-group", "web", file);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.Err);
        Assert.DoesNotContain("could not reach", r.Err);
    }

    [Fact]
    public async Task A_missing_rules_file_and_a_bad_group_name_are_refused_before_any_call()
    {
        var missing = await LoggedInRunAsync("update-security-group", "web", "/nonexistent/rules.json");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("cannot read the rules file /nonexistent/rules.json", missing.Err);
        var badName = await LoggedInRunAsync("bind-security-group", "no spaces", "org", "space");
        Assert.Equal(1, badName.ExitCode);
        Assert.Contains("not a valid security group name", badName.Err);
        Assert.DoesNotContain("could not reach", missing.Err + badName.Err);
    }
}
