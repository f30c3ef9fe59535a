using System.CommandLine;
using System.Text.Json;
using Platform.Cli.Config;
using Platform.Cli.Http;
using Platform.Cli.Output;
using Platform.Contracts;
using Platform.Contracts.Api;

namespace Platform.Cli.Commands;

/// <summary>
/// Orgs, spaces, users, roles and quotas, with Cloud Foundry's verbs: orgs, create-org, spaces, create-space,
/// create-user, delete-user, set-org-role / unset-org-role, set-space-role / unset-space-role, org-users, space-users,
/// org-quotas, create-org-quota, set-org-quota, space-quotas, create-space-quota, set-space-quota.
/// </summary>
internal static class TenancyCommands
{
    public static IEnumerable<Command> All(CliEnvironment env) =>
    [
        Orgs(env), CreateOrg(env), Spaces(env), CreateSpace(env),
        CreateUser(env), DeleteUser(env),
        SetOrgRole(env, set: true), SetOrgRole(env, set: false), SetSpaceRole(env, set: true), SetSpaceRole(env, set: false),
        OrgUsers(env), SpaceUsers(env),
        OrgQuotas(env), CreateQuota(env, space: false), SetOrgQuota(env),
        SpaceQuotas(env), CreateQuota(env, space: true), SetSpaceQuota(env),
    ];

    private static Argument<string> Arg(string name, string description) => new(name) { Description = description };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON instead of a table" };

    private static (ConfigStore Store, CliConfig Config, PlatApiClient Client) Client(CliEnvironment env)
    {
        var store = ConfigStore.For(env);
        var config = store.RequireLogin();
        return (store, config, new PlatApiClient(config.ApiUrl, config.Token, config.SpaceId));
    }

    private static void CheckName(string kind, string? name)
    {
        if (Tenancy.CheckName(kind, name) is { } error) throw new CliException(error);
    }

    private static Command Orgs(CliEnvironment env)
    {
        var json = JsonOption();
        var command = new Command("orgs", "List the orgs you can see") { json };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = Client(env).Client;
            var orgs = await api.OrgsAsync(null, ct);
            if (parse.GetValue(json)) env.Out.WriteLine(JsonSerializer.Serialize(orgs, AppCommands.Json));
            else if (orgs.Count == 0) env.Out.WriteLine("No orgs found.");
            else Table.Write(env.Out, ["name", "quota"], orgs.Select(o => (IReadOnlyList<string>)[o.Name, o.Quota ?? "-"]));
            return 0;
        });
        return command;
    }

    private static Command CreateOrg(CliEnvironment env)
    {
        var name = Arg("ORG", "The new org's name");
        var command = new Command("create-org", "Create an org (admins); you may then target it") { name };
        command.SetRun(env, async (parse, ct) =>
        {
            var org = parse.GetValue(name)!;
            CheckName("org", org);
            using var api = Client(env).Client;
            await api.CreateOrgAsync(org, ct);
            env.Out.WriteLine($"Created org {org}. OK");
            env.Out.WriteLine($"TIP: plat target -o {org}, then plat create-space SPACE");
            return 0;
        });
        return command;
    }

    private static Command Spaces(CliEnvironment env)
    {
        var json = JsonOption();
        var command = new Command("spaces", "List the spaces of the targeted org you can see") { json };
        command.SetRun(env, async (parse, ct) =>
        {
            var (_, config, api) = Client(env);
            using (api)
            {
                var spaces = await api.SpacesAsync(CommandSupport.TargetedOrg(config), null, ct);
                if (parse.GetValue(json)) env.Out.WriteLine(JsonSerializer.Serialize(spaces, AppCommands.Json));
                else if (spaces.Count == 0) env.Out.WriteLine($"No spaces found in org {config.OrgName}.");
                else Table.Write(env.Out, ["name", "your roles", "quota"],
                    spaces.Select(s => (IReadOnlyList<string>)[s.Name, s.Roles.Count == 0 ? "-" : string.Join(", ", s.Roles), s.Quota ?? "-"]));
            }
            return 0;
        });
        return command;
    }

    private static Command CreateSpace(CliEnvironment env)
    {
        var name = Arg("SPACE", "The new space's name");
        var org = new Option<string?>("-o", "--org") { HelpName = "ORG", Description = "The org (default: the targeted one)" };
        var command = new Command("create-space", "Create a space in an org (org managers); you become its manager and developer") { name, org };
        command.SetRun(env, async (parse, ct) =>
        {
            var space = parse.GetValue(name)!;
            CheckName("space", space);
            var (_, config, api) = Client(env);
            using (api)
            {
                var target = await OrgAsync(api, config, parse.GetValue(org), ct);
                await api.CreateSpaceAsync(target.Id, space, ct);
                env.Out.WriteLine($"Created space {space} in org {target.Name}. OK");
                env.Out.WriteLine($"TIP: plat target -o {target.Name} -s {space}");
            }
            return 0;
        });
        return command;
    }

    private static Command CreateUser(CliEnvironment env)
    {
        var user = Arg("USER", "User name");
        var password = Arg("PASSWORD", "Initial password (at least 8 characters)");
        var admin = new Option<bool>("--admin") { Description = "Make a platform admin" };
        var command = new Command("create-user", "Create a user (admins); give them roles with set-org-role / set-space-role") { user, password, admin };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = Client(env).Client;
            var name = parse.GetValue(user)!;
            await api.CreateUserAsync(new UserRequest(name, parse.GetValue(password), parse.GetValue(admin) ? "admin" : "user"), ct);
            env.Out.WriteLine($"Created user {name}. OK");
            return 0;
        });
        return command;
    }

    private static Command DeleteUser(CliEnvironment env)
    {
        var user = Arg("USER", "User name");
        var force = new Option<bool>("-f", "--force") { Description = "Delete without asking" };
        var command = new Command("delete-user", "Delete a user, their roles and tokens (admins)") { user, force };
        command.SetRun(env, async (parse, ct) =>
        {
            var name = parse.GetValue(user)!;
            if (!parse.GetValue(force))
            {
                if (!env.Interactive) throw new CliException($"refusing to delete user {name} without confirmation: use -f when not at a terminal");
                env.Err.Write($"Really delete the user {name}? [yN]: ");
                if (env.In.ReadLine()?.Trim().ToLowerInvariant() is not ("y" or "yes"))
                {
                    env.Out.WriteLine("Delete cancelled.");
                    return 0;
                }
            }
            using var api = Client(env).Client;
            await api.DeleteUserAsync(name, ct);
            env.Out.WriteLine($"Deleted user {name}. OK");
            return 0;
        });
        return command;
    }

    private static Command SetOrgRole(CliEnvironment env, bool set)
    {
        var user = Arg("USER", "User name");
        var org = Arg("ORG", "Org");
        var role = Arg("ROLE", "OrgManager, OrgAuditor or OrgUser");
        var command = new Command(set ? "set-org-role" : "unset-org-role", set ? "Give a user a role in an org" : "Take an org role from a user") { user, org, role };
        command.SetRun(env, async (parse, ct) =>
        {
            var r = Tenancy.CanonicalOrgRole(parse.GetValue(role))
                ?? throw new CliException($"'{parse.GetValue(role)}' is not an org role: use one of {string.Join(", ", Tenancy.OrgRoles.All)}");
            using var api = Client(env).Client;
            var target = await api.OrgNamedAsync(parse.GetValue(org)!, ct);
            await api.SetOrgRoleAsync(target.Id, parse.GetValue(user)!, r, set, ct);
            env.Out.WriteLine(set ? $"Gave {parse.GetValue(user)} the role {r} in org {target.Name}. OK" : $"Took the role {r} in org {target.Name} from {parse.GetValue(user)}. OK");
            return 0;
        });
        return command;
    }

    private static Command SetSpaceRole(CliEnvironment env, bool set)
    {
        var user = Arg("USER", "User name");
        var org = Arg("ORG", "Org");
        var space = Arg("SPACE", "Space");
        var role = Arg("ROLE", "SpaceDeveloper, SpaceManager or SpaceAuditor");
        var command = new Command(set ? "set-space-role" : "unset-space-role",
            set ? "Give a user a role in a space (they become an OrgUser of its org too)" : "Take a space role from a user") { user, org, space, role };
        command.SetRun(env, async (parse, ct) =>
        {
            var r = Tenancy.CanonicalSpaceRole(parse.GetValue(role))
                ?? throw new CliException($"'{parse.GetValue(role)}' is not a space role: use one of {string.Join(", ", Tenancy.SpaceRoles.All)}");
            using var api = Client(env).Client;
            var o = await api.OrgNamedAsync(parse.GetValue(org)!, ct);
            var s = await api.SpaceNamedAsync(o, parse.GetValue(space)!, ct);
            await api.SetSpaceRoleAsync(s.Id, parse.GetValue(user)!, r, set, ct);
            env.Out.WriteLine(set ? $"Gave {parse.GetValue(user)} the role {r} in space {o.Name}/{s.Name}. OK" : $"Took the role {r} in space {o.Name}/{s.Name} from {parse.GetValue(user)}. OK");
            return 0;
        });
        return command;
    }

    private static Command OrgUsers(CliEnvironment env)
    {
        var org = Arg("ORG", "Org");
        var json = JsonOption();
        var command = new Command("org-users", "List the users with roles in an org") { org, json };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = Client(env).Client;
            var o = await api.OrgNamedAsync(parse.GetValue(org)!, ct);
            WriteMembers(env, await api.OrgUsersAsync(o.Id, ct), parse.GetValue(json));
            return 0;
        });
        return command;
    }

    private static Command SpaceUsers(CliEnvironment env)
    {
        var org = Arg("ORG", "Org");
        var space = Arg("SPACE", "Space");
        var json = JsonOption();
        var command = new Command("space-users", "List the users with roles in a space") { org, space, json };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = Client(env).Client;
            var o = await api.OrgNamedAsync(parse.GetValue(org)!, ct);
            var s = await api.SpaceNamedAsync(o, parse.GetValue(space)!, ct);
            WriteMembers(env, await api.SpaceUsersAsync(s.Id, ct), parse.GetValue(json));
            return 0;
        });
        return command;
    }

    private static void WriteMembers(CliEnvironment env, List<MemberResponse> members, bool json)
    {
        if (json) env.Out.WriteLine(JsonSerializer.Serialize(members, AppCommands.Json));
        else if (members.Count == 0) env.Out.WriteLine("No users found.");
        else Table.Write(env.Out, ["user", "roles"], members.Select(m => (IReadOnlyList<string>)[m.Username, string.Join(", ", m.Roles)]));
    }

    private static Command OrgQuotas(CliEnvironment env)
    {
        var json = JsonOption();
        var command = new Command("org-quotas", "List the org quota definitions") { json };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = Client(env).Client;
            WriteQuotas(env, await api.OrgQuotasAsync(ct), parse.GetValue(json));
            return 0;
        });
        return command;
    }

    private static Command SpaceQuotas(CliEnvironment env)
    {
        var json = JsonOption();
        var command = new Command("space-quotas", "List the targeted org's space quota definitions") { json };
        command.SetRun(env, async (parse, ct) =>
        {
            var (_, config, api) = Client(env);
            using (api) WriteQuotas(env, await api.SpaceQuotasAsync(CommandSupport.TargetedOrg(config), ct), parse.GetValue(json));
            return 0;
        });
        return command;
    }

    private static void WriteQuotas(CliEnvironment env, List<QuotaResponse> quotas, bool json)
    {
        static string N(int? v) => v?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unlimited";
        static string M(int? v) => v is { } mb ? Format.Megabytes(mb) : "unlimited";
        if (json) env.Out.WriteLine(JsonSerializer.Serialize(quotas, AppCommands.Json));
        else if (quotas.Count == 0) env.Out.WriteLine("No quotas found.");
        else Table.Write(env.Out, ["name", "total memory", "instance memory", "app instances", "apps", "routes"],
            quotas.Select(q => (IReadOnlyList<string>)[q.Name, M(q.MemoryMb), M(q.InstanceMemoryMb), N(q.AppInstances), N(q.Apps), N(q.Routes)]));
    }

    private static Command CreateQuota(CliEnvironment env, bool space)
    {
        var name = Arg("NAME", "The quota's name");
        var memory = new Option<string?>("-m") { HelpName = "TOTAL", Description = "Memory of all started instances together, e.g. 4G" };
        var perInstance = new Option<string?>("-i") { HelpName = "PER_INSTANCE", Description = "Memory of one instance, e.g. 1G" };
        var instances = new Option<int?>("-a") { HelpName = "APP_INSTANCES", Description = "Instances of all started apps together" };
        var apps = new Option<int?>("-s") { HelpName = "APPS", Description = "Apps" };
        var routes = new Option<int?>("-r") { HelpName = "ROUTES", Description = "Routes" };
        var command = new Command(space ? "create-space-quota" : "create-org-quota",
            space ? "Define a space quota in the targeted org (org managers)" : "Define an org quota (admins)") { name, memory, perInstance, instances, apps, routes };
        command.SetRun(env, async (parse, ct) =>
        {
            var quota = parse.GetValue(name)!;
            CheckName("quota", quota);
            var body = new QuotaRequest(quota, CommandSupport.ValidSize(parse.GetValue(memory), "-m"), CommandSupport.ValidSize(parse.GetValue(perInstance), "-i"),
                parse.GetValue(instances), parse.GetValue(apps), parse.GetValue(routes));
            var (_, config, api) = Client(env);
            using (api)
            {
                if (space) await api.CreateSpaceQuotaAsync(CommandSupport.TargetedOrg(config), body, ct);
                else await api.CreateOrgQuotaAsync(body, ct);
            }
            env.Out.WriteLine($"Created {(space ? "space" : "org")} quota {quota}. OK");
            return 0;
        });
        return command;
    }

    private static Command SetOrgQuota(CliEnvironment env)
    {
        var org = Arg("ORG", "Org");
        var quota = Arg("QUOTA", "Org quota name");
        var command = new Command("set-org-quota", "Assign an org quota to an org (admins)") { org, quota };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = Client(env).Client;
            var o = await api.OrgNamedAsync(parse.GetValue(org)!, ct);
            await api.SetOrgQuotaAsync(o.Id, parse.GetValue(quota), ct);
            env.Out.WriteLine($"Org {o.Name} now has the quota {parse.GetValue(quota)}. OK");
            return 0;
        });
        return command;
    }

    private static Command SetSpaceQuota(CliEnvironment env)
    {
        var space = Arg("SPACE", "Space in the targeted org");
        var quota = Arg("QUOTA", "Space quota name");
        var command = new Command("set-space-quota", "Assign a space quota to a space of the targeted org (org managers)") { space, quota };
        command.SetRun(env, async (parse, ct) =>
        {
            var (_, config, api) = Client(env);
            using (api)
            {
                var o = await OrgAsync(api, config, null, ct);
                var s = await api.SpaceNamedAsync(o, parse.GetValue(space)!, ct);
                await api.SetSpaceQuotaAsync(s.Id, parse.GetValue(quota), ct);
                env.Out.WriteLine($"Space {o.Name}/{s.Name} now has the quota {parse.GetValue(quota)}. OK");
            }
            return 0;
        });
        return command;
    }

    /// <summary>The org named, or the targeted one.</summary>
    internal static async Task<OrgResponse> OrgAsync(PlatApiClient api, CliConfig config, string? name, CancellationToken ct) =>
        name is not null ? await api.OrgNamedAsync(name, ct)
        : config.OrgId is { } id ? new OrgResponse(id, config.OrgName ?? id.ToString(), null, default)
        : throw new CliException("no org targeted: give -o ORG or run 'plat target -o ORG'");
}
