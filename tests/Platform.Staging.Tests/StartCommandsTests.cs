using Platform.Staging.Buildpacks;

namespace Platform.Staging.Tests;

public sealed class StartCommandsTests
{
    [Fact]
    public void Release_yaml_gives_the_web_process()
    {
        const string yaml = "---\ndefault_process_types:\n  web: \"./server -p $PORT\"\n  worker: ./work\n";
        Assert.Equal("./server -p $PORT", StartCommands.FromReleaseYaml(yaml));
    }

    [Theory]
    [InlineData("--- {}")]
    [InlineData("")]
    [InlineData("---\ndefault_process_types: {}\n")]
    [InlineData("---\naddons: []\n")]
    public void Release_yaml_without_a_web_process_gives_none(string yaml) =>
        Assert.Null(StartCommands.FromReleaseYaml(yaml));

    [Fact]
    public void Release_output_that_is_not_yaml_fails_staging_clearly()
    {
        var e = Assert.Throws<StagingFailedException>(() => StartCommands.FromReleaseYaml("web: [oops"));
        Assert.Contains("bin/release", e.Message);
    }

    [Fact]
    public void Procfile_web_line_is_found_among_others()
    {
        const string procfile = "# comment\r\nworker: ./work\r\nweb:   ./app --port $PORT  \r\n";
        Assert.Equal("./app --port $PORT", StartCommands.FromProcfile(procfile));
    }

    [Theory]
    [InlineData("worker: ./work\n")]
    [InlineData("web:\n")]
    [InlineData("webapp: ./x\n")]
    public void Procfile_without_a_web_command_gives_none(string procfile) =>
        Assert.Null(StartCommands.FromProcfile(procfile));
}
