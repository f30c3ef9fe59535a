namespace Platform.Cli;

/// <summary>
/// Everything the CLI takes from its surroundings, so that tests can run the real entry point with
/// their own writers, variables and home directory.
/// </summary>
public sealed class CliEnvironment
{
    public required TextWriter Out { get; init; }
    public required TextWriter Err { get; init; }
    public TextReader In { get; init; } = TextReader.Null;

    /// <summary>Standard input as bytes (for `plat exec --stdin`).</summary>
    public Func<Stream> OpenStdin { get; init; } = () => Stream.Null;

    /// <summary>Whether a person is at the keyboard: prompts are allowed only then.</summary>
    public bool Interactive { get; init; }

    /// <summary>Whether stderr is a terminal, so progress can redraw one line with '\r'.</summary>
    public bool ErrIsTerminal { get; init; }

    /// <summary>Reads a secret without echo; null when there is no terminal.</summary>
    public Func<string, string?>? ReadSecret { get; init; }

    public Func<string, string?> GetVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Where relative paths start and plat push looks for manifest.yml (tests give their own).</summary>
    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>Poll interval for logs and builds (tests may shorten it).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(300);

    public static CliEnvironment FromConsole() => new()
    {
        Out = Console.Out,
        Err = Console.Error,
        In = Console.In,
        OpenStdin = Console.OpenStandardInput,
        Interactive = !Console.IsInputRedirected && !Console.IsOutputRedirected,
        ErrIsTerminal = !Console.IsErrorRedirected,
        ReadSecret = Console.IsInputRedirected ? null : ConsoleSecret.Read,
    };
}

internal static class ConsoleSecret
{
    public static string? Read(string prompt)
    {
        Console.Error.Write(prompt);
        var chars = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (chars.Length > 0) chars.Length--; continue; }
            if (!char.IsControl(key.KeyChar)) chars.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return chars.ToString();
    }
}
