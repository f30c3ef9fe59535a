namespace Platform.Router.Tests;

public sealed class RouteTableTests
{
    private static readonly Guid Web = Guid.NewGuid();
    private static readonly Guid Api = Guid.NewGuid();

    private static readonly RouteTable Table = new([
        new AppRoute("Site.Apps.Localhost", "", Web, "web", []),
        new AppRoute("site.apps.localhost", "api/", Api, "api", [new Backend(Guid.NewGuid(), 0, "10.0.0.2:8080")]),
    ]);

    [Theory]
    [InlineData("site.apps.localhost", "/", "web")]
    [InlineData("SITE.apps.localhost:7080", "/x", "web")]
    [InlineData("site.apps.localhost.", "/", "web")]
    [InlineData("site.apps.localhost", "/api", "api")]
    [InlineData("site.apps.localhost", "/API/v1", "api")]
    [InlineData("site.apps.localhost", "/apiary", "web")]
    public void Matches_host_case_and_port_insensitively_and_the_longest_path_prefix(string host, string path, string app) =>
        Assert.Equal(app, Table.Match(host, path)?.AppName);

    [Theory]
    [InlineData("other.apps.localhost")]
    [InlineData("apps.localhost")]
    [InlineData("")]
    public void Unknown_hosts_match_nothing(string host) => Assert.Null(Table.Match(host, "/"));

    [Fact]
    public void A_path_only_route_does_not_cover_the_rest_of_the_host()
    {
        var table = new RouteTable([new AppRoute("h.apps.localhost", "/only", Api, "api", [])]);

        Assert.Null(table.Match("h.apps.localhost", "/"));
        Assert.Equal(Api, table.Match("h.apps.localhost", "/only/x")?.AppId);
    }

    [Fact]
    public void Proxy_config_has_a_route_per_host_and_a_round_robin_cluster_per_app_with_running_instances()
    {
        var (routes, clusters) = RouteTableProxyConfigProvider.Build(Table, new RouterOptions());

        var route = Assert.Single(routes);
        Assert.Equal(["site.apps.localhost"], route.Match.Hosts);
        Assert.Equal("/api/{**rest}", route.Match.Path);
        var cluster = Assert.Single(clusters);
        Assert.Equal(RouteTableProxyConfigProvider.ClusterId(Api), cluster.ClusterId);
        Assert.Equal("RoundRobin", cluster.LoadBalancingPolicy);
        Assert.Equal("http://10.0.0.2:8080/", Assert.Single(cluster.Destinations!).Value.Address);
        Assert.True(cluster.HealthCheck?.Passive?.Enabled);
        Assert.Null(cluster.SessionAffinity);
    }

    [Fact]
    public void Sticky_sessions_use_YARPs_default_HashCookie_policy()
    {
        var (_, clusters) = RouteTableProxyConfigProvider.Build(Table, new RouterOptions { StickySessions = true });

        var affinity = Assert.Single(clusters).SessionAffinity;
        Assert.True(affinity?.Enabled);
        Assert.Null(affinity?.Policy); // YARP's default, HashCookie (System.IO.Hashing is served now)
    }
}
