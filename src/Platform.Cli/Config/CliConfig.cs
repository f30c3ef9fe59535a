using System.Text.Json;

namespace Platform.Cli.Config;

/// <summary>
/// What `plat login` and `plat target` remember: where the API is, the token to use, and the targeted org and space
/// (by id, with their names for display), which app commands act in.
/// </summary>
public sealed record CliConfig(
    string ApiUrl, string? Token, string? Username,
    Guid? OrgId = null, string? OrgName = null, Guid? SpaceId = null, string? SpaceName = null)
{
    public CliConfig WithTarget(Guid? orgId, string? orgName, Guid? spaceId, string? spaceName) =>
        this with { OrgId = orgId, OrgName = orgName, SpaceId = spaceId, SpaceName = spaceName };
}

/// <summary>
/// Reads and writes &lt;home&gt;/config.json, where home is $PLAT_HOME or ~/.plat. The file holds a token,
/// so it is written readable by the owner only.
/// </summary>
public sealed class ConfigStore(string home)
{
    public const string DefaultApiUrl = "http://127.0.0.1:7070";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string Home { get; } = home;
    public string FilePath => Path.Combine(Home, "config.json");

    public static ConfigStore For(CliEnvironment env) =>
        new(env.GetVariable("PLAT_HOME") is { Length: > 0 } home
            ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".plat"));

    /// <summary>The saved config, or null when there is none.</summary>
    public CliConfig? Load()
    {
        if (!File.Exists(FilePath)) return null;
        try
        {
            return JsonSerializer.Deserialize<CliConfig>(File.ReadAllText(FilePath), Json)
                ?? throw new CliException($"{FilePath} is empty: run plat login again");
        }
        catch (JsonException e)
        {
            throw new CliException($"{FilePath} is not valid JSON ({e.Message}): fix or delete it, then run plat login");
        }
    }

    /// <summary>The saved config with a token, or an error telling the user to log in.</summary>
    public CliConfig RequireLogin() =>
        Load() is { Token.Length: > 0 } config
            ? config
            : throw new CliException("not logged in: run 'plat login -a API_URL -u USER' first");

    public void Save(CliConfig config)
    {
        Directory.CreateDirectory(Home);
        var temp = FilePath + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new FileStream(temp, options))
            JsonSerializer.Serialize(file, config, Json);
        File.Move(temp, FilePath, overwrite: true);
    }
}
