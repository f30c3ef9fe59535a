using System.CommandLine;
using System.Text.Json;
using Platform.Cli.Http;
using Platform.Cli.Output;
using Platform.Contracts;
using Platform.Contracts.Api;

namespace Platform.Cli.Commands;

/// <summary>
/// Application security groups, with Cloud Foundry's verbs: security-groups, security-group, create-security-group,
/// update-security-group, delete-security-group, bind-security-group, unbind-security-group,
/// bind-running-security-group, unbind-running-security-group, running-security-groups; and space-security-groups
/// (what a space's instances get, for its members). Rules files are CF's JSON:
/// <c>[{"protocol":"tcp","destination":"10.0.0.0/8","ports":"443"}]</c>.
/// </summary>
internal static class SecurityGroupCommands
{
    public static IEnumerable<Command> All(CliEnvironment env) =>
    [
        List(env, running: false), List(env, running: true), Show(env),
        Save(env, create: true), Save(env, create: false), Delete(env),
        Bind(env, bind: true), Bind(env, bind: false),
        BindRunning(env, bind: true), BindRunning(env, bind: false),
        SpaceGroups(env),
    ];

    private static readonly JsonSerializerOptions RulesJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    private static Argument<string> NameArgument() => new("NAME") { Description = "The security group's name" };
    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON instead of a table" };

    private static string ValidGroupName(string? name) => SecurityGroups.CheckName(name) is { } error ? throw new CliException(error) : name!;

    private static Command List(CliEnvironment env, bool running)
    {
        var json = JsonOption();
        var command = running
            ? new Command("running-security-groups", "List the security groups every running instance gets (admins)") { json }
            : new Command("security-groups", "List the security groups and the spaces they are bound to (admins)") { json };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = CommandSupport.LoggedInClient(env);
            var groups = (await api.SecurityGroupsAsync(ct)).Where(g => !running || g.RunningDefault).ToList();
            if (parse.GetValue(json)) env.Out.WriteLine(JsonSerializer.Serialize(groups, AppCommands.Json));
            else if (groups.Count == 0) env.Out.WriteLine("No security groups found.");
            else Table.Write(env.Out, ["name", "rules", "running default", "spaces"], groups.Select(g => (IReadOnlyList<string>)
                [g.Name, g.Rules.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), g.RunningDefault ? "yes" : "",
                 g.Spaces.Count == 0 ? "-" : string.Join(", ", g.Spaces.Select(s => $"{s.Org}/{s.Space}"))]));
            return 0;
        });
        return command;
    }

    private static Command Show(CliEnvironment env)
    {
        var name = NameArgument();
        var json = JsonOption();
        var command = new Command("security-group", "Show a security group's rules (as CF's JSON) and where it is bound (admins)") { name, json };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = CommandSupport.LoggedInClient(env);
            var group = await api.SecurityGroupAsync(ValidGroupName(parse.GetValue(name)), ct);
            if (parse.GetValue(json))
            {
                env.Out.WriteLine(JsonSerializer.Serialize(group, AppCommands.Json));
                return 0;
            }
            env.Out.WriteLine($"name:            {group.Name}");
            env.Out.WriteLine($"running default: {(group.RunningDefault ? "yes" : "no")}");
            env.Out.WriteLine("rules:");
            env.Out.WriteLine(JsonSerializer.Serialize(group.Rules, RulesJson));
            if (group.Spaces.Count == 0) env.Out.WriteLine("No spaces bound to this group.");
            else Table.Write(env.Out, ["org", "space"], group.Spaces.Select(s => (IReadOnlyList<string>)[s.Org, s.Space]));
            return 0;
        });
        return command;
    }

    private static Command Save(CliEnvironment env, bool create)
    {
        var name = NameArgument();
        var file = new Argument<string>("RULES_FILE") { Description = "A JSON file with an array of rules, e.g. [{\"protocol\":\"tcp\",\"destination\":\"10.0.0.0/8\",\"ports\":\"443\"}]" };
        var command = create
            ? new Command("create-security-group", "Create a security group from a JSON rules file (admins)") { name, file }
            : new Command("update-security-group", "Replace a security group's rules with a JSON rules file (admins); restart apps to apply") { name, file };
        command.SetRun(env, async (parse, ct) =>
        {
            var group = ValidGroupName(parse.GetValue(name));
            var rules = await ReadRulesAsync(Path.Combine(env.WorkingDirectory, parse.GetValue(file)!), ct);
            using var api = CommandSupport.LoggedInClient(env);
            if (create) await api.CreateSecurityGroupAsync(new SecurityGroupRequest(group, rules), ct);
            else await api.UpdateSecurityGroupAsync(group, new SecurityGroupRequest(Rules: rules), ct);
            env.Out.WriteLine(create ? $"Created security group {group} with {rules.Count} rule(s). OK"
                : $"Updated security group {group}: {rules.Count} rule(s). OK\nInstances started from now on get them: restart apps to apply.");
            return 0;
        });
        return command;
    }

    /// <summary>The rules of a CF rules file, checked as the API checks them so a mistake is named before any call.</summary>
    internal static async Task<List<SecurityGroupRule?>> ReadRulesAsync(string path, CancellationToken ct)
    {
        string text;
        try { text = await File.ReadAllTextAsync(path, ct); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read the rules file {path}: {e.Message}");
        }
        List<SecurityGroupRule?>? rules;
        try { rules = JsonSerializer.Deserialize<List<SecurityGroupRule?>>(text, RulesJson); }
        catch (JsonException e)
        {
            throw new CliException($"{path} is not a JSON array of rules ({e.Message}); e.g. [{{\"protocol\":\"tcp\",\"destination\":\"10.0.0.0/8\",\"ports\":\"443\"}}]");
        }
        if (SecurityGroups.CheckRules(rules) is { } problem) throw new CliException($"{path}: {problem}");
        return rules!;
    }

    private static Command Delete(CliEnvironment env)
    {
        var name = NameArgument();
        var force = new Option<bool>("-f", "--force") { Description = "Delete without asking" };
        var command = new Command("delete-security-group", "Delete a security group and unbind it from every space (admins)") { name, force };
        command.SetRun(env, async (parse, ct) =>
        {
            var group = ValidGroupName(parse.GetValue(name));
            if (!RouteCommands.Confirm(env, parse.GetValue(force), $"Really delete the security group {group}?")) return 0;
            using var api = CommandSupport.LoggedInClient(env);
            await api.DeleteSecurityGroupAsync(group, ct);
            env.Out.WriteLine($"Deleted security group {group}. OK");
            return 0;
        });
        return command;
    }

    private static Command Bind(CliEnvironment env, bool bind)
    {
        var name = NameArgument();
        var org = new Argument<string>("ORG") { Description = "The space's org" };
        var space = new Argument<string>("SPACE") { Description = "The space" };
        var command = bind
            ? new Command("bind-security-group", "Bind a security group to a space's running instances (admins; org managers for groups they see)") { name, org, space }
            : new Command("unbind-security-group", "Unbind a security group from a space") { name, org, space };
        command.SetRun(env, async (parse, ct) =>
        {
            var group = ValidGroupName(parse.GetValue(name));
            using var api = CommandSupport.LoggedInClient(env);
            var o = await api.OrgNamedAsync(parse.GetValue(org)!, ct);
            var s = await api.SpaceNamedAsync(o, parse.GetValue(space)!, ct);
            await api.BindSecurityGroupAsync(group, s.Id, bind, ct);
            env.Out.WriteLine(bind ? $"Bound security group {group} to space {o.Name}/{s.Name}. OK" : $"Unbound security group {group} from space {o.Name}/{s.Name}. OK");
            env.Out.WriteLine("Instances started from now on get the change: restart apps to apply it.");
            return 0;
        });
        return command;
    }

    private static Command BindRunning(CliEnvironment env, bool bind)
    {
        var name = NameArgument();
        var command = bind
            ? new Command("bind-running-security-group", "Make a security group apply to every running instance of the platform (admins)") { name }
            : new Command("unbind-running-security-group", "Stop a security group applying to every running instance (admins)") { name };
        command.SetRun(env, async (parse, ct) =>
        {
            var group = ValidGroupName(parse.GetValue(name));
            using var api = CommandSupport.LoggedInClient(env);
            await api.SetRunningSecurityGroupAsync(group, bind, ct);
            env.Out.WriteLine(bind ? $"Security group {group} is now a running default. OK" : $"Security group {group} is no longer a running default. OK");
            env.Out.WriteLine("Instances started from now on get the change: restart apps to apply it.");
            return 0;
        });
        return command;
    }

    /// <summary>The ports of a tcp or udp rule, or the ICMP type and code.</summary>
    private static string PortsOf(SecurityGroupRule r) =>
        r.Ports ?? (r.Type is { } type ? $"type {type}{(r.Code is { } code ? $" code {code}" : "")}" : "");

    private static Command SpaceGroups(CliEnvironment env)
    {
        var space = new Argument<string?>("SPACE") { Description = "A space of the targeted org (default: the targeted space)", Arity = ArgumentArity.ZeroOrOne };
        var json = JsonOption();
        var command = new Command("space-security-groups", "List the security groups whose rules a space's instances get") { space, json };
        command.SetRun(env, async (parse, ct) =>
        {
            var config = Config.ConfigStore.For(env).RequireLogin();
            using var api = new PlatApiClient(config.ApiUrl, config.Token, config.SpaceId);
            Guid spaceId;
            if (parse.GetValue(space) is { } spaceName)
                spaceId = (await api.SpaceNamedAsync(await TenancyCommands.OrgAsync(api, config, null, ct), spaceName, ct)).Id;
            else spaceId = config.SpaceId ?? throw new CliException("no space targeted: give SPACE or run 'plat target -o ORG -s SPACE'");
            var groups = await api.SpaceSecurityGroupsAsync(spaceId, ct);
            if (parse.GetValue(json)) env.Out.WriteLine(JsonSerializer.Serialize(groups, AppCommands.Json));
            else if (groups.Count == 0) env.Out.WriteLine("No security groups apply: instances get the cell's defaults only.");
            else Table.Write(env.Out, ["name", "from", "protocol", "destination", "ports", "description"], groups.SelectMany(g => g.Rules.Select(r => (IReadOnlyList<string>)
                [g.Name, g.BoundToSpace ? "space" : "running default", r.Protocol, r.Destination, PortsOf(r), r.Description ?? ""])));
            return 0;
        });
        return command;
    }
}
