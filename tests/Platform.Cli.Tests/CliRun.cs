namespace Platform.Cli.Tests;

/// <summary>Runs the CLI's real entry point in-process with captured output and its own PLAT_HOME.</summary>
public sealed class CliRun
{
    public CliRun(string? home = null, IDictionary<string, string>? variables = null)
    {
        Home = home ?? Directory.CreateTempSubdirectory("plat-home-").FullName;
        _variables = new Dictionary<string, string>(variables ?? new Dictionary<string, string>()) { ["PLAT_HOME"] = Home };
    }

    private readonly Dictionary<string, string> _variables;
    public string Home { get; }

    public sealed record Result(int ExitCode, string Out, string Err)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";
    }

    public Task<Result> RunAsync(params string[] args) => RunAsync(args, null, CancellationToken.None);

    /// <param name="output">Where stdout goes, for tests that watch it while the command runs; else captured.</param>
    public async Task<Result> RunAsync(string[] args, StringWriter? output, CancellationToken ct)
    {
        output ??= new StringWriter();
        var error = new StringWriter();
        var env = new CliEnvironment
        {
            Out = TextWriter.Synchronized(output),
            Err = error,
            Interactive = false,
            GetVariable = name => _variables.GetValueOrDefault(name),
            PollInterval = TimeSpan.FromMilliseconds(50),
        };
        var code = await PlatApp.RunAsync(args, env, ct: ct);
        return new Result(code, output.ToString(), error.ToString());
    }
}
