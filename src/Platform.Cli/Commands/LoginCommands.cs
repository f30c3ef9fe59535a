using System.CommandLine;
using Platform.Cli.Config;
using Platform.Cli.Http;

namespace Platform.Cli.Commands;

internal static class LoginCommands
{
    public static Command Login(CliEnvironment env)
    {
        var api = new Option<string?>("-a", "--api") { HelpName = "URL", Description = "API URL, e.g. http://127.0.0.1:7070 (default: the last one used)" };
        var user = new Option<string?>("-u", "--username") { HelpName = "USER", Description = "User name (default: admin)" };
        var password = new Option<string?>("-p", "--password") { HelpName = "PASSWORD", Description = "Password (or set PLAT_PASSWORD; prompted for when interactive)" };
        var command = new Command("login", "Log in to a platform API and remember the token") { api, user, password };
        command.SetRun(env, async (parse, ct) =>
        {
            var store = ConfigStore.For(env);
            var url = parse.GetValue(api) ?? store.Load()?.ApiUrl ?? ConfigStore.DefaultApiUrl;
            var username = parse.GetValue(user) ?? Prompt(env, "Username: ") ?? "admin";
            var secret = parse.GetValue(password)
                ?? (env.GetVariable("PLAT_PASSWORD") is { Length: > 0 } p ? p : null)
                ?? (env.Interactive ? env.ReadSecret?.Invoke("Password: ") : null)
                ?? throw new CliException("no password: give -p PASSWORD or set PLAT_PASSWORD");

            using var client = new PlatApiClient(url, null);
            env.Out.WriteLine($"API endpoint: {client.BaseUrl}");
            await client.InfoAsync(ct); // fails clearly when the URL is not a platform API
            var token = await client.LoginAsync(username, secret, ct);
            store.Save(new CliConfig(client.BaseUrl, token.AccessToken, token.Username));
            env.Out.WriteLine($"Authenticated as {token.Username}. OK");
            return 0;
        });
        return command;
    }

    private static string? Prompt(CliEnvironment env, string prompt)
    {
        if (!env.Interactive) return null;
        env.Err.Write(prompt);
        var line = env.In.ReadLine()?.Trim();
        return string.IsNullOrEmpty(line) ? null : line;
    }

    public static Command Target(CliEnvironment env)
    {
        var command = new Command("target", "Show the API this CLI talks to and the user logged in");
        command.SetRun(env, (_, _) =>
        {
            var config = ConfigStore.For(env).RequireLogin();
            env.Out.WriteLine($"API endpoint:   {config.ApiUrl}");
            env.Out.WriteLine($"user:           {config.Username}");
            return Task.FromResult(0);
        });
        return command;
    }
}
