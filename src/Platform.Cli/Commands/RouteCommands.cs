using System.CommandLine;
using System.Text.Json;
using Platform.Cli.Http;
using Platform.Cli.Output;
using Platform.Contracts;
using Platform.Contracts.Api;

namespace Platform.Cli.Commands;

/// <summary>
/// Domains and routes, with Cloud Foundry's verbs: domains, create-shared-domain, create-private-domain,
/// delete-shared-domain, delete-private-domain, routes, create-route, map-route, unmap-route, delete-route.
/// </summary>
internal static class RouteCommands
{
    public static IEnumerable<Command> All(CliEnvironment env) =>
    [
        Domains(env), CreateSharedDomain(env), CreatePrivateDomain(env), DeleteDomain(env, shared: true), DeleteDomain(env, shared: false),
        Routes(env), CreateRoute(env), MapRoute(env), UnmapRoute(env), DeleteRoute(env),
    ];

    private static Argument<string> DomainArgument() => new("DOMAIN") { Description = "The domain, such as apps.example.com" };
    private static Option<string?> HostnameOption() => new("--hostname", "-n") { HelpName = "HOST", Description = "The route's host name (its first label); none: the domain itself" };
    private static Option<string?> PathOption() => new("--path") { HelpName = "PATH", Description = "The route's path prefix, such as /api" };
    private static Option<string?> ProtocolOption() => new("--app-protocol") { HelpName = "PROTOCOL", Description = "How routers speak to the app: http1 (default) or http2 (h2c, gRPC)" };
    private static Option<bool> ForceOption() => new("-f", "--force") { Description = "Delete without asking" };
    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON instead of a table" };

    private static Command Domains(CliEnvironment env)
    {
        var json = JsonOption();
        var command = new Command("domains", "List the domains you can make routes on") { json };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = CommandSupport.LoggedInClient(env);
            var domains = await api.DomainsAsync(ct);
            if (parse.GetValue(json)) env.Out.WriteLine(JsonSerializer.Serialize(domains, AppCommands.Json));
            else Table.Write(env.Out, ["name", "availability", "org", "default"],
                domains.Select(d => (IReadOnlyList<string>)[d.Name, d.Shared ? "shared" : "private", d.Org ?? "-", d.Default ? "yes" : ""]));
            return 0;
        });
        return command;
    }

    private static Command CreateSharedDomain(CliEnvironment env)
    {
        var domain = DomainArgument();
        var command = new Command("create-shared-domain", "Make a domain every org may use (admins)") { domain };
        command.SetRun(env, async (parse, ct) =>
        {
            var name = ValidDomain(parse.GetValue(domain));
            using var api = CommandSupport.LoggedInClient(env);
            await api.CreateSharedDomainAsync(name, ct);
            env.Out.WriteLine($"Created shared domain {name}. OK");
            return 0;
        });
        return command;
    }

    private static Command CreatePrivateDomain(CliEnvironment env)
    {
        var org = new Argument<string>("ORG") { Description = "The org that owns the domain" };
        var domain = DomainArgument();
        var command = new Command("create-private-domain", "Make a domain only one org may use (its managers)") { org, domain };
        command.SetRun(env, async (parse, ct) =>
        {
            var name = ValidDomain(parse.GetValue(domain));
            using var api = CommandSupport.LoggedInClient(env);
            var owner = await api.OrgNamedAsync(parse.GetValue(org)!, ct);
            await api.CreatePrivateDomainAsync(owner.Id, name, ct);
            env.Out.WriteLine($"Created private domain {name} for org {owner.Name}. OK");
            return 0;
        });
        return command;
    }

    private static Command DeleteDomain(CliEnvironment env, bool shared)
    {
        var domain = DomainArgument();
        var force = ForceOption();
        var command = new Command(shared ? "delete-shared-domain" : "delete-private-domain",
            shared ? "Delete a shared domain that has no routes (admins)" : "Delete a private domain that has no routes (its org's managers)") { domain, force };
        command.SetRun(env, async (parse, ct) =>
        {
            var name = ValidDomain(parse.GetValue(domain));
            if (!Confirm(env, parse.GetValue(force), $"Really delete the domain {name}?")) return 0;
            using var api = CommandSupport.LoggedInClient(env);
            if (shared) await api.DeleteSharedDomainAsync(name, ct);
            else
            {
                var found = (await api.DomainsAsync(ct)).FirstOrDefault(d => d.Name == name && !d.Shared)
                    ?? throw new CliException($"no private domain {name} in your orgs (plat domains lists them)");
                await api.DeletePrivateDomainAsync((await api.OrgNamedAsync(found.Org!, ct)).Id, name, ct);
            }
            env.Out.WriteLine($"Deleted domain {name}. OK");
            return 0;
        });
        return command;
    }

    private static Command Routes(CliEnvironment env)
    {
        var json = JsonOption();
        var command = new Command("routes", "List the targeted space's routes and the apps they are mapped to") { json };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = CommandSupport.LoggedInClient(env);
            var routes = await api.RoutesAsync(ct);
            if (parse.GetValue(json)) env.Out.WriteLine(JsonSerializer.Serialize(routes, AppCommands.Json));
            else if (routes.Count == 0) env.Out.WriteLine("No routes found.");
            else Table.Write(env.Out, ["host", "domain", "path", "app-protocol", "app"],
                routes.Select(r => (IReadOnlyList<string>)[r.Host, r.Domain, r.Path, r.Protocol, r.App ?? "-"]));
            return 0;
        });
        return command;
    }

    private static Command CreateRoute(CliEnvironment env)
    {
        var (domain, hostname, path, protocol) = (DomainArgument(), HostnameOption(), PathOption(), ProtocolOption());
        var command = new Command("create-route", "Make a route in the targeted space, mapped to no app yet") { domain, hostname, path, protocol };
        command.SetRun(env, async (parse, ct) =>
        {
            var route = ValidRoute(parse.GetValue(domain), parse.GetValue(hostname), parse.GetValue(path), parse.GetValue(protocol));
            using var api = CommandSupport.LoggedInClient(env);
            var made = await api.CreateRouteAsync(route, ct);
            env.Out.WriteLine($"Route {made.Url} is in the space. OK");
            return 0;
        });
        return command;
    }

    private static Command MapRoute(CliEnvironment env)
    {
        var app = CommandSupport.AppNameArgument();
        var (domain, hostname, path, protocol) = (DomainArgument(), HostnameOption(), PathOption(), ProtocolOption());
        var command = new Command("map-route", "Map a route to an app (made if it does not exist); routers serve it at once") { app, domain, hostname, path, protocol };
        command.SetRun(env, async (parse, ct) =>
        {
            var route = ValidRoute(parse.GetValue(domain), parse.GetValue(hostname), parse.GetValue(path), parse.GetValue(protocol));
            using var api = CommandSupport.LoggedInClient(env);
            var mapped = await api.MapRouteAsync(parse.GetValue(app)!, route, ct);
            env.Out.WriteLine($"Mapped {Url(route)} to app {mapped.Name}. OK");
            return 0;
        });
        return command;
    }

    private static Command UnmapRoute(CliEnvironment env)
    {
        var app = CommandSupport.AppNameArgument();
        var (domain, hostname, path) = (DomainArgument(), HostnameOption(), PathOption());
        var command = new Command("unmap-route", "Unmap a route from an app; routers stop serving it at once, the route stays in the space") { app, domain, hostname, path };
        command.SetRun(env, async (parse, ct) =>
        {
            var route = ValidRoute(parse.GetValue(domain), parse.GetValue(hostname), parse.GetValue(path), null);
            using var api = CommandSupport.LoggedInClient(env);
            var unmapped = await api.UnmapRouteAsync(parse.GetValue(app)!, route, ct);
            env.Out.WriteLine($"Unmapped {Url(route)} from app {unmapped.Name}. OK");
            return 0;
        });
        return command;
    }

    private static Command DeleteRoute(CliEnvironment env)
    {
        var (domain, hostname, path, force) = (DomainArgument(), HostnameOption(), PathOption(), ForceOption());
        var command = new Command("delete-route", "Delete a route of the targeted space (unmapping it from its app)") { domain, hostname, path, force };
        command.SetRun(env, async (parse, ct) =>
        {
            var route = ValidRoute(parse.GetValue(domain), parse.GetValue(hostname), parse.GetValue(path), null);
            if (!Confirm(env, parse.GetValue(force), $"Really delete the route {Url(route)}?")) return 0;
            using var api = CommandSupport.LoggedInClient(env);
            try
            {
                await api.DeleteRouteAsync(route, ct);
            }
            catch (ApiException e) when (e.Status == System.Net.HttpStatusCode.NotFound && e.Message.StartsWith("Route not found", StringComparison.Ordinal))
            {
                // As cf delete-route: what should be gone is gone.
                env.Out.WriteLine($"Route {Url(route)} does not exist. OK");
                return 0;
            }
            env.Out.WriteLine($"Deleted route {Url(route)}. OK");
            return 0;
        });
        return command;
    }

    /// <summary>Checks what can be checked here, so a typo fails before anything is sent.</summary>
    internal static RouteRequest ValidRoute(string? domain, string? hostname, string? path, string? protocol)
    {
        var name = ValidDomain(domain);
        var host = hostname?.Trim().ToLowerInvariant() ?? "";
        if (RouteRules.CheckHostname(host) is { } hostError) throw new CliException($"invalid --hostname: {hostError}");
        var normalized = RouteRules.NormalizePath(path?.Trim(), out var pathError) ?? throw new CliException($"invalid --path: {pathError}");
        if (protocol is not null && RouteRules.NormalizeProtocol(protocol, out var protocolError) is null)
            throw new CliException($"invalid --app-protocol: {protocolError}");
        return new RouteRequest(name, host, normalized, protocol?.ToLowerInvariant());
    }

    private static string ValidDomain(string? domain)
    {
        var name = (domain ?? "").Trim().TrimEnd('.').ToLowerInvariant();
        return RouteRules.CheckDomain(name) is { } error ? throw new CliException(error) : name;
    }

    private static string Url(RouteRequest r) => RouteRules.Url(r.Host ?? "", r.Domain!, r.Path ?? "");

    internal static bool Confirm(CliEnvironment env, bool force, string question)
    {
        if (force) return true;
        if (!env.Interactive) throw new CliException("refusing to delete without confirmation: use -f when not at a terminal");
        env.Err.Write($"{question} [yN]: ");
        var answer = env.In.ReadLine()?.Trim();
        if (string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) || string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase)) return true;
        env.Out.WriteLine("Delete cancelled.");
        return false;
    }
}
