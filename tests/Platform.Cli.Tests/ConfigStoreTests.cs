using Platform.Cli.Config;

namespace Platform.Cli.Tests;

public sealed class ConfigStoreTests
{
    [Fact]
    public void Save_then_load_round_trips_and_the_file_is_private()
    {
        var home = Path.Combine(Directory.CreateTempSubdirectory("plat-cfg-").FullName, "nested", ".plat");
        var store = new ConfigStore(home);
        Assert.Null(store.Load());
        store.Save(new CliConfig("http://127.0.0.1:7070", "secret-token", "admin"));
        Assert.Equal(new CliConfig("http://127.0.0.1:7070", "secret-token", "admin"), store.Load());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.FilePath));
        store.Save(new CliConfig("http://other:1", "t2", "bob"));
        Assert.Equal("bob", store.Load()!.Username);
    }

    [Fact]
    public void PLAT_HOME_chooses_the_directory_else_home_dot_plat()
    {
        var env = new CliEnvironment { Out = TextWriter.Null, Err = TextWriter.Null, GetVariable = n => n == "PLAT_HOME" ? "/x/y" : null };
        Assert.Equal("/x/y/config.json", ConfigStore.For(env).FilePath);
        var noVar = new CliEnvironment { Out = TextWriter.Null, Err = TextWriter.Null, GetVariable = _ => null };
        Assert.Equal(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".plat", "config.json"), ConfigStore.For(noVar).FilePath);
    }

    [Fact]
    public void A_corrupt_config_file_gets_a_clear_error()
    {
        var home = Directory.CreateTempSubdirectory("plat-cfg-").FullName;
        File.WriteAllText(Path.Combine(home, "config.json"), "{ not json");
        var e = Assert.Throws<CliException>(() => new ConfigStore(home).Load());
        Assert.Contains("not valid JSON", e.Message);
        Assert.Contains("plat login", e.Message);
    }

    [Fact]
    public void A_config_without_a_token_is_not_a_login()
    {
        var home = Directory.CreateTempSubdirectory("plat-cfg-").FullName;
        new ConfigStore(home).Save(new CliConfig("http://127.0.0.1:7070", null, null));
        Assert.Contains("not logged in", Assert.Throws<CliException>(() => new ConfigStore(home).RequireLogin()).Message);
    }
}
