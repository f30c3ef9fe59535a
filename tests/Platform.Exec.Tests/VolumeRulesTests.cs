using Platform.Contracts;

namespace Platform.Exec.Tests;

/// <summary>The volume name and path rules the API enforces (400) and the CLI checks before sending.</summary>
public sealed class VolumeRulesTests
{
    [Theory]
    [InlineData("data")]
    [InlineData("a")]
    [InlineData("my-data-2")]
    public void Good_names_pass(string name) => Assert.Null(Volumes.CheckName(name));

    [Theory]
    [InlineData("")]
    [InlineData("Data")]
    [InlineData("-data")]
    [InlineData("data-")]
    [InlineData("da_ta")]
    [InlineData("da/ta")]
    [InlineData("..")]
    [InlineData(null)]
    public void Bad_names_are_refused(string? name) => Assert.Contains("not a valid volume name", Volumes.CheckName(name));

    [Fact]
    public void A_name_longer_than_a_dns_label_is_refused() => Assert.NotNull(Volumes.CheckName(new string('a', 64)));

    [Theory]
    [InlineData("/data")]
    [InlineData("/home/vcap/data")]
    [InlineData("/home/vcap/app-data")]
    [InlineData("/var/lib/app/")]
    public void Good_paths_pass(string path) => Assert.Null(Volumes.CheckPath(path));

    [Theory]
    [InlineData("data", "absolute")]
    [InlineData("", "absolute")]
    [InlineData("/", "'/'")]
    [InlineData("//", "'/'")]
    [InlineData("/data/../etc", "'..'")]
    [InlineData("/data/./x", "'..'")]
    [InlineData("/proc", "container runtime")]
    [InlineData("/proc/self", "container runtime")]
    [InlineData("/sys/fs", "container runtime")]
    [InlineData("/dev", "container runtime")]
    [InlineData("/dev/shm", "container runtime")]
    [InlineData("/home/vcap/app", "hide the app")]
    [InlineData("/home/vcap/app/", "hide the app")]
    [InlineData("/home/vcap", "hide the app")]
    [InlineData("/home", "hide the app")]
    [InlineData("/etc/resolv.conf", "container runtime")]
    [InlineData("/da:ta", "':'")]
    public void Bad_paths_are_refused_with_the_reason(string path, string reason) =>
        Assert.Contains(reason, Volumes.CheckPath(path));

    [Fact]
    public void A_path_inside_the_app_dir_is_allowed_but_not_the_dir_itself()
    {
        Assert.Null(Volumes.CheckPath("/home/vcap/app/uploads"));
        Assert.NotNull(Volumes.CheckPath("/home/vcap/app"));
    }

    [Fact]
    public void Lists_refuse_duplicates_nesting_and_too_many()
    {
        Assert.Null(Volumes.CheckList([new("a", "/a"), new("b", "/b")]));
        Assert.Contains("listed twice", Volumes.CheckList([new("a", "/a"), new("a", "/b")]));
        Assert.Contains("two volumes are mounted at '/a'", Volumes.CheckList([new("a", "/a"), new("b", "/a/")]));
        Assert.Contains("inside another volume", Volumes.CheckList([new("a", "/a"), new("b", "/a/b")]));
        var many = Enumerable.Range(0, Volumes.MaxPerApp + 1).Select(i => new VolumeMount($"v{i}", $"/v{i}")).ToList();
        Assert.Contains("at most", Volumes.CheckList(many));
    }

    [Fact]
    public void The_cli_form_is_name_colon_path()
    {
        Assert.Equal(new VolumeMount("data", "/home/vcap/data"), Volumes.TryParse("data:/home/vcap/data/", out var error));
        Assert.Null(error);
        Assert.Null(Volumes.TryParse("data", out error));
        Assert.Contains("NAME:/path", error);
        Assert.Null(Volumes.TryParse(":/x", out error));
        Assert.Null(Volumes.TryParse("data:", out error));
        Assert.Null(Volumes.TryParse("Data:/x", out error));
        Assert.Contains("volume name", error);
        Assert.Null(Volumes.TryParse("data:/proc/x", out error));
        Assert.Contains("container runtime", error);
    }
}
