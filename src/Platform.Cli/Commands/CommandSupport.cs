using System.CommandLine;
using Platform.Cli.Config;
using Platform.Cli.Http;
using Platform.Contracts;

namespace Platform.Cli.Commands;

internal static class CommandSupport
{
    /// <summary>
    /// Sets the command's action, turning <see cref="CliException"/>s (bad input, API problems, unreachable
    /// server) into one "error:" line on stderr and exit code 1, so scripts can trust the exit code.
    /// </summary>
    public static void SetRun(this Command command, CliEnvironment env, Func<ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                return await action(parse, ct);
            }
            catch (CliException e)
            {
                env.Err.WriteLine($"error: {e.Message}");
                return 1;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                env.Err.WriteLine("interrupted");
                return 130;
            }
        });

    /// <summary>A client with the saved token, acting in the targeted space (app commands fail clearly without one).</summary>
    public static PlatApiClient LoggedInClient(CliEnvironment env)
    {
        var config = ConfigStore.For(env).RequireLogin();
        return new PlatApiClient(config.ApiUrl, config.Token, config.SpaceId);
    }

    /// <summary>The targeted org's id, or an error telling the user to target one.</summary>
    public static Guid TargetedOrg(CliConfig config) =>
        config.OrgId ?? throw new CliException("no org targeted: run 'plat target -o ORG' first");

    public static Argument<string> AppNameArgument() => new("NAME") { Description = "The app's name" };

    public static string ValidName(string? name) =>
        Names.IsValidAppName(name)
            ? name!
            : throw new CliException(
                $"'{name}' is not a valid app name: use 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit (it becomes a DNS label)");

    /// <summary>Checks a size flag locally so that a typo fails before anything is sent.</summary>
    public static string? ValidSize(string? text, string flag)
    {
        if (text is null) return null;
        if (Sizes.TryParseMegabytes(text, out var error) is null)
            throw new CliException($"invalid size for {flag}: {error}");
        return text;
    }

    /// <summary>-i is read as text so that "-i lots" gets the same kind of message as a bad size.</summary>
    public static int? ValidInstances(string? text) =>
        text is null ? null
        : int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n <= 100 ? n
        : throw new CliException($"invalid instance count for -i: '{text}' (use a whole number from 0 to 100)");

    public static Option<string?> InstancesOption(string description) =>
        new("-i", "--instances") { Description = description, HelpName = "N" };

    public static Option<string?> SizeOption(string name, string alias, string description) =>
        new(name, alias) { Description = description, HelpName = "SIZE" };
}
