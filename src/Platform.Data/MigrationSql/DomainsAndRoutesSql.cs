namespace Platform.Data.MigrationSql;

/// <summary>
/// Hand-written data steps of the domains-and-routes migration, kept out of the generated file so that a regenerated
/// migration needs only the one <c>migrationBuilder.Sql(DomainsAndRoutesSql.Backfill)</c> line after its schema steps.
/// </summary>
public static class DomainsAndRoutesSql
{
    /// <summary>
    /// Every route made before domains existed was "app.&lt;Api:AppsDomain&gt;" (a path under it at most): its domain is
    /// what follows the first label. Each such domain becomes a shared domain, and the route is put on it with the first
    /// label as its host. The API seeds the configured Api:AppsDomain at start anyway.
    /// </summary>
    public const string Backfill = """
        INSERT INTO domains ("Id", "Name", "OrgId", "CreatedAt")
        SELECT gen_random_uuid(), d.name, NULL, now()
        FROM (SELECT DISTINCT lower(substring("Host" from position('.' in "Host") + 1)) AS name
              FROM routes WHERE position('.' in "Host") > 0) d
        ON CONFLICT ("Name") DO NOTHING;

        UPDATE routes r
        SET "Hostname" = lower(split_part(r."Host", '.', 1)), "DomainId" = d."Id"
        FROM domains d
        WHERE position('.' in r."Host") > 0
          AND d."Name" = lower(substring(r."Host" from position('.' in r."Host") + 1));
        """;
}
