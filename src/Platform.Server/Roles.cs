namespace Platform.Server;

/// <summary>The roles one platd process can run; --dev runs them all.</summary>
[Flags]
public enum Roles
{
    None = 0,
    Api = 1,
    Scheduler = 2,
    Stager = 4,
    Cell = 8,
    Router = 16,
    All = Api | Scheduler | Stager | Cell | Router,
}

public static class RoleParser
{
    public static Roles Parse(string text)
    {
        var roles = Roles.None;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            roles |= part.ToLowerInvariant() switch
            {
                "api" => Roles.Api,
                "scheduler" => Roles.Scheduler,
                "stager" => Roles.Stager,
                "cell" => Roles.Cell,
                "router" => Roles.Router,
                "all" => Roles.All,
                _ => throw new ArgumentException($"unknown role '{part}': use api, scheduler, stager, cell, router or all"),
            };
        }
        return roles;
    }

    /// <summary>"api,scheduler": the roles by name, in a fixed order.</summary>
    public static string Format(Roles roles) => string.Join(',',
        Enum.GetValues<Roles>().Where(r => r is not (Roles.None or Roles.All) && roles.HasFlag(r)).Select(r => r.ToString().ToLowerInvariant()));

    /// <summary>
    /// Roles that read or write Postgres (and so need migrations and the outbox dispatcher). Not the router (the internet
    /// edge: it loads its route table from the API) nor the cell and stager.
    /// </summary>
    public static bool NeedsDatabase(Roles roles) => (roles & (Roles.Api | Roles.Scheduler)) != 0;
}
