using System.CommandLine;
using System.Text.Json;
using Platform.Cli.Config;
using Platform.Cli.Http;
using Platform.Cli.Output;
using Platform.Contracts.Api;

namespace Platform.Cli.Commands;

/// <summary>
/// The user's own account and the exec switches: passwd, create-token, tokens, revoke-token, allow-space-ssh /
/// disallow-space-ssh (space managers) and enable-ssh / disable-ssh (developers, per app).
/// </summary>
internal static class AccountCommands
{
    public static IEnumerable<Command> All(CliEnvironment env) =>
    [
        Passwd(env), CreateToken(env), Tokens(env), RevokeToken(env),
        SpaceSsh(env, allow: true), SpaceSsh(env, allow: false), AppSsh(env, enable: true), AppSsh(env, enable: false),
    ];

    private static (CliConfig Config, PlatApiClient Client) Client(CliEnvironment env)
    {
        var config = ConfigStore.For(env).RequireLogin();
        return (config, new PlatApiClient(config.ApiUrl, config.Token, config.SpaceId));
    }

    private static Command Passwd(CliEnvironment env)
    {
        var current = new Option<string?>("--old") { HelpName = "PASSWORD", Description = "Current password (or PLAT_PASSWORD; prompted for when interactive)" };
        var next = new Option<string?>("--new") { HelpName = "PASSWORD", Description = "New password (or PLAT_NEW_PASSWORD; prompted for when interactive)" };
        var command = new Command("passwd", "Change your password (your other sessions end)") { current, next };
        command.SetRun(env, async (parse, ct) =>
        {
            var old = parse.GetValue(current) ?? (env.GetVariable("PLAT_PASSWORD") is { Length: > 0 } p ? p : null);
            old ??= env.Interactive ? env.ReadSecret?.Invoke("Current password: ") : null;
            var fresh = parse.GetValue(next) ?? (env.GetVariable("PLAT_NEW_PASSWORD") is { Length: > 0 } n ? n : null);
            if (fresh is null && env.Interactive)
            {
                fresh = env.ReadSecret?.Invoke("New password: ");
                if (fresh != env.ReadSecret?.Invoke("Verify password: ")) throw new CliException("the passwords do not match");
            }
            if (old is null || fresh is null) throw new CliException("give --old and --new (or PLAT_PASSWORD and PLAT_NEW_PASSWORD) when not at a terminal");
            var (_, api) = Client(env);
            using (api) await api.ChangePasswordAsync(old, fresh, ct);
            env.Out.WriteLine("Password changed. OK");
            return 0;
        });
        return command;
    }

    private static Command CreateToken(CliEnvironment env)
    {
        var name = new Argument<string>("NAME") { Description = "A name for the token (to list and revoke it)" };
        var expires = new Option<string?>("--expires") { HelpName = "DURATION", Description = "Lifetime, e.g. 30d, 12h (default 90d)" };
        var space = new Option<bool>("--space-only") { Description = "Narrow the token to the targeted space" };
        var command = new Command("create-token", "Create a long-lived API token for scripts; it is shown once") { name, expires, space };
        command.SetRun(env, async (parse, ct) =>
        {
            var (config, api) = Client(env);
            using (api)
            {
                Guid? spaceId = null;
                if (parse.GetValue(space))
                    spaceId = config.SpaceId ?? throw new CliException("no space targeted: run 'plat target -o ORG -s SPACE' first");
                var token = await api.CreateApiTokenAsync(new ApiTokenRequest(parse.GetValue(name), parse.GetValue(expires), spaceId), ct);
                env.Out.WriteLine($"Created token {token.Name}{(spaceId is null ? "" : $" for space {config.OrgName}/{config.SpaceName}")}, expires {Format.Time(token.ExpiresAt)}.");
                env.Out.WriteLine("Keep it secret; it is not shown again. Use it as 'Authorization: Bearer TOKEN':");
                env.Out.WriteLine(token.Token);
            }
            return 0;
        });
        return command;
    }

    private static Command Tokens(CliEnvironment env)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var command = new Command("tokens", "List your API tokens, with when each was last used") { json };
        command.SetRun(env, async (parse, ct) =>
        {
            var (_, api) = Client(env);
            using (api)
            {
                var tokens = await api.ApiTokensAsync(ct);
                if (parse.GetValue(json)) env.Out.WriteLine(JsonSerializer.Serialize(tokens, AppCommands.Json));
                else if (tokens.Count == 0) env.Out.WriteLine("No tokens found.");
                else Table.Write(env.Out, ["name", "space", "created", "expires", "last used"], tokens.Select(t => (IReadOnlyList<string>)
                    [t.Name, t.SpaceId?.ToString() ?? "all yours", Format.Time(t.CreatedAt), Format.Time(t.ExpiresAt), t.LastUsedAt is { } u ? Format.Time(u) : "never"]));
            }
            return 0;
        });
        return command;
    }

    private static Command RevokeToken(CliEnvironment env)
    {
        var name = new Argument<string>("NAME") { Description = "The token's name" };
        var command = new Command("revoke-token", "Revoke one of your API tokens") { name };
        command.SetRun(env, async (parse, ct) =>
        {
            var (_, api) = Client(env);
            using (api) await api.RevokeApiTokenAsync(parse.GetValue(name)!, ct);
            env.Out.WriteLine($"Revoked token {parse.GetValue(name)}. OK");
            return 0;
        });
        return command;
    }

    private static Command SpaceSsh(CliEnvironment env, bool allow)
    {
        var space = new Argument<string>("SPACE") { Description = "A space of the targeted org" };
        var command = new Command(allow ? "allow-space-ssh" : "disallow-space-ssh",
            allow ? "Allow plat exec into the space's instances (space managers)" : "Refuse plat exec into the space's instances (space managers)") { space };
        command.SetRun(env, async (parse, ct) =>
        {
            var (config, api) = Client(env);
            using (api)
            {
                var org = await TenancyCommands.OrgAsync(api, config, null, ct);
                var s = await api.SpaceNamedAsync(org, parse.GetValue(space)!, ct);
                await api.SetSpaceSshAsync(s.Id, allow, ct);
                env.Out.WriteLine($"Exec is {(allow ? "allowed" : "disallowed")} in space {org.Name}/{s.Name}. OK");
            }
            return 0;
        });
        return command;
    }

    private static Command AppSsh(CliEnvironment env, bool enable)
    {
        var app = CommandSupport.AppNameArgument();
        var command = new Command(enable ? "enable-ssh" : "disable-ssh",
            enable ? "Allow plat exec into an app's instances" : "Refuse plat exec into an app's instances") { app };
        command.SetRun(env, async (parse, ct) =>
        {
            var (_, api) = Client(env);
            using (api) await api.SetAppSshAsync(parse.GetValue(app)!, enable, ct);
            env.Out.WriteLine($"Exec is {(enable ? "enabled" : "disabled")} for {parse.GetValue(app)}. OK");
            return 0;
        });
        return command;
    }
}
