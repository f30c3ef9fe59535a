namespace Platform.Cli;

/// <summary>A failure to report to the user as one clear line on stderr, ending the command with exit code 1.</summary>
public class CliException(string message) : Exception(message);
