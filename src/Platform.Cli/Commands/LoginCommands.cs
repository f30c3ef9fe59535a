using System.CommandLine;
using Platform.Cli.Config;
using Platform.Cli.Http;
using Platform.Contracts.Api;

namespace Platform.Cli.Commands;

internal static class LoginCommands
{
    public static Command Login(CliEnvironment env)
    {
        var api = new Option<string?>("-a", "--api") { HelpName = "URL", Description = "API URL, e.g. http://127.0.0.1:7070 (default: the last one used)" };
        var user = new Option<string?>("-u", "--username") { HelpName = "USER", Description = "User name (default: admin)" };
        var password = new Option<string?>("-p", "--password") { HelpName = "PASSWORD", Description = "Password (or set PLAT_PASSWORD; prompted for when interactive)" };
        var org = new Option<string?>("-o", "--org") { HelpName = "ORG", Description = "Org to target (default: the only one you see)" };
        var space = new Option<string?>("-s", "--space") { HelpName = "SPACE", Description = "Space to target (default: the only one you see in the org)" };
        var command = new Command("login", "Log in to a platform API, remember the token and target an org and space") { api, user, password, org, space };
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
            var config = new CliConfig(client.BaseUrl, token.AccessToken, token.Username);
            store.Save(config);
            env.Out.WriteLine($"Authenticated as {token.Username}. OK");

            using var authed = new PlatApiClient(client.BaseUrl, token.AccessToken);
            config = await Targeting.ChooseAsync(authed, config, parse.GetValue(org), parse.GetValue(space), ct);
            store.Save(config);
            Targeting.Print(env, config);
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
        var org = new Option<string?>("-o", "--org") { HelpName = "ORG", Description = "Org to target" };
        var space = new Option<string?>("-s", "--space") { HelpName = "SPACE", Description = "Space to target (in the targeted org, or the one -o names)" };
        var command = new Command("target", "Show or set the org and space commands act in") { org, space };
        command.SetRun(env, async (parse, ct) =>
        {
            var store = ConfigStore.For(env);
            var config = store.RequireLogin();
            var (o, s) = (parse.GetValue(org), parse.GetValue(space));
            if (o is not null || s is not null)
            {
                using var client = new PlatApiClient(config.ApiUrl, config.Token);
                config = await Targeting.SetAsync(client, config, o, s, ct);
                store.Save(config);
            }
            env.Out.WriteLine($"API endpoint:   {config.ApiUrl}");
            env.Out.WriteLine($"user:           {config.Username}");
            Targeting.Print(env, config);
            return 0;
        });
        return command;
    }

    public static Command Logout(CliEnvironment env)
    {
        var command = new Command("logout", "Log out: the session token is revoked on the server and forgotten here");
        command.SetRun(env, async (_, ct) =>
        {
            var store = ConfigStore.For(env);
            if (store.Load() is not { Token.Length: > 0 } config)
            {
                env.Out.WriteLine("Not logged in. OK");
                return 0;
            }
            using var client = new PlatApiClient(config.ApiUrl, config.Token);
            try
            {
                await client.LogoutAsync(ct);
            }
            catch (ApiException e) when (e.Status == System.Net.HttpStatusCode.Unauthorized)
            {
                // Expired or revoked already: nothing left to revoke.
            }
            store.Save(new CliConfig(config.ApiUrl, null, null));
            env.Out.WriteLine("Logged out. OK");
            return 0;
        });
        return command;
    }
}

/// <summary>How the CLI picks and remembers the org and space its commands act in (as cf target).</summary>
internal static class Targeting
{
    /// <summary>
    /// After a login: the org and space asked for, else the only org the user sees and, in it, the only space (a fresh
    /// platform's admin lands in default/dev); none when there is a choice to make.
    /// </summary>
    public static async Task<CliConfig> ChooseAsync(PlatApiClient client, CliConfig config, string? org, string? space, CancellationToken ct)
    {
        if (org is not null || space is not null) return await SetAsync(client, config with { OrgId = null, SpaceId = null }, org, space, ct);
        var orgs = await client.OrgsAsync(null, ct);
        if (orgs.Count != 1) return config.WithTarget(null, null, null, null);
        var spaces = (await client.SpacesAsync(orgs[0].Id, null, ct)).Where(s => s.Actions.Count > 0).ToList();
        return spaces.Count == 1
            ? config.WithTarget(orgs[0].Id, orgs[0].Name, spaces[0].Id, spaces[0].Name)
            : config.WithTarget(orgs[0].Id, orgs[0].Name, null, null);
    }

    /// <summary>plat target -o ORG [-s SPACE], or -s SPACE in the targeted org.</summary>
    public static async Task<CliConfig> SetAsync(PlatApiClient client, CliConfig config, string? org, string? space, CancellationToken ct)
    {
        OrgResponse target;
        if (org is not null) target = await client.OrgNamedAsync(org, ct);
        else if (config.OrgId is { } id && config.OrgName is { } name) target = new OrgResponse(id, name, null, default);
        else throw new CliException("no org targeted: give -o ORG");
        if (space is not null)
        {
            var s = await client.SpaceNamedAsync(target, space, ct);
            return config.WithTarget(target.Id, target.Name, s.Id, s.Name);
        }
        // A new org: its only space, if it has exactly one the user may enter.
        var spaces = (await client.SpacesAsync(target.Id, null, ct)).Where(s => s.Actions.Count > 0).ToList();
        return spaces.Count == 1
            ? config.WithTarget(target.Id, target.Name, spaces[0].Id, spaces[0].Name)
            : config.WithTarget(target.Id, target.Name, null, null);
    }

    public static void Print(CliEnvironment env, CliConfig config)
    {
        env.Out.WriteLine($"org:            {config.OrgName ?? "(none: plat target -o ORG)"}");
        env.Out.WriteLine($"space:          {config.SpaceName ?? "(none: plat target -s SPACE)"}");
    }
}
