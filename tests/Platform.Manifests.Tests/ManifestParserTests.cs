using Platform.Contracts;

namespace Platform.Manifests.Tests;

public sealed class ManifestParserTests
{
    private const string TwoApps = """
        ---
        version: 1
        applications:
        - name: web
          path: ./site
          instances: 2
          memory: 512M
          disk_quota: 1G
          buildpacks: [staticfile_buildpack]
          command: "./start.sh --port $PORT"
          env:
            GREETING: hello
            COUNT: 3
            DEBUG: "true"
          routes:
          - route: web.apps.test
          - route: shop.apps.test/api
            protocol: http2
          health-check-type: http
          health-check-http-endpoint: /health
          timeout: 90
          stack: bookworm
          volumes:
          - name: data
            path: /home/vcap/data/
          - cache:/tmp/cache
        - name: worker
          no-route: true
          health-check-type: none
        """;

    [Fact]
    public void Reads_every_key_of_two_apps()
    {
        var result = ManifestParser.Parse(TwoApps, "manifest.yml");
        Assert.True(result.Ok, string.Join("\n", result.Errors));
        Assert.Empty(result.Warnings);
        var web = result.Manifest!.Find("web")!;
        Assert.Equal(("./site", 2, "512M", "1G"), (web.Path, web.Instances, web.Memory, web.DiskQuota));
        Assert.Equal(["staticfile_buildpack"], web.Buildpacks);
        Assert.Equal("./start.sh --port $PORT", web.Command);
        Assert.Equal(new Dictionary<string, string> { ["GREETING"] = "hello", ["COUNT"] = "3", ["DEBUG"] = "true" }, web.Env);
        Assert.Equal([new ManifestRoute("web.apps.test", null, 16), new ManifestRoute("shop.apps.test/api", "http2", 17)], web.Routes);
        Assert.Equal(("http", "/health", 90, "bookworm"), (web.HealthCheckType, web.HealthCheckHttpEndpoint, web.Timeout, web.Stack));
        Assert.Equal([new VolumeMount("data", "/home/vcap/data"), new VolumeMount("cache", "/tmp/cache")], web.Volumes);
        Assert.Equal(4, web.Line);
        Assert.Equal(6, web.LineOf("instances"));
        var worker = result.Manifest.Find("worker")!;
        Assert.True(worker.NoRoute);
        Assert.Equal(HealthChecks.Process, worker.HealthCheckType); // "none" is Cloud Foundry's old name for process
        Assert.Null(worker.Instances);
    }

    [Fact]
    public void Written_and_read_again_it_is_the_same_manifest()
    {
        var first = ManifestParser.Parse(TwoApps, "manifest.yml").Manifest!;
        var text = ManifestWriter.Write(first);
        var again = ManifestParser.Parse(text, "written.yml");
        Assert.True(again.Ok, string.Join("\n", again.Errors) + "\n" + text);
        foreach (var (a, b) in first.Applications.Zip(again.Manifest!.Applications))
        {
            Assert.Equal(a with { Line = 0, Lines = b.Lines, Routes = null, Env = null, Buildpacks = null, Volumes = null },
                b with { Line = 0, Routes = null, Env = null, Buildpacks = null, Volumes = null });
            Assert.Equal(a.Routes?.Select(r => (r.Route, r.Protocol)), b.Routes?.Select(r => (r.Route, r.Protocol)));
            Assert.Equal(a.Env, b.Env);
            Assert.Equal(a.Buildpacks, b.Buildpacks);
            Assert.Equal(a.Volumes, b.Volumes);
        }
        Assert.Contains("DEBUG: \"true\"", text);
    }

    [Fact]
    public void Variables_are_replaced_from_var_and_vars_files_and_a_missing_one_names_its_line()
    {
        var vars = new ManifestVariables();
        Assert.Empty(vars.AddFile("count: 3\nhost: shop\n", "vars.yml"));
        Assert.Null(vars.Add("count=4"));
        var result = ManifestParser.Parse("""
            applications:
            - name: web
              instances: ((count))
              routes:
              - route: ((host)).apps.test/((section))
            """, "manifest.yml", vars.Values);
        Assert.False(result.Ok);
        Assert.Equal(["manifest.yml:5: routes.route (app web): no value for the variable ((section)): give --var section=VALUE or a --vars-file that has it"], result.Errors);

        Assert.Null(vars.Add("section=api"));
        var ok = ManifestParser.Parse("""
            applications:
            - name: web
              instances: ((count))
              routes:
              - route: ((host)).apps.test/((section))
            """, "manifest.yml", vars.Values);
        Assert.True(ok.Ok, string.Join("\n", ok.Errors));
        Assert.Equal(4, ok.Manifest!.Applications[0].Instances); // --var wins over the file
        Assert.Equal("shop.apps.test/api", ok.Manifest.Applications[0].Routes![0].Route);
        Assert.Equal(["--var 'nothing' is not NAME=VALUE"], [vars.Add("nothing")!]);
        Assert.Equal(["vars.yml:1: list: a variable must be a single value, not a list or mapping"], new ManifestVariables().AddFile("list: [1, 2]", "vars.yml"));
    }

    [Fact]
    public void Unknown_keys_are_warnings_with_their_lines()
    {
        var result = ManifestParser.Parse("""
            applications:
            - name: web
              memory: 256M
              services: [db]
              routes:
              - route: web.apps.test
                weight: 3
            inherit: base.yml
            """, "manifest.yml");
        Assert.True(result.Ok, string.Join("\n", result.Errors));
        Assert.Equal([
            "manifest.yml:4: unknown key 'services' (app web; ignored)",
            "manifest.yml:7: unknown key 'weight' in routes (app web; ignored)",
            "manifest.yml:8: unknown key 'inherit' (ignored)",
        ], result.Warnings.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("applications:\n- name: web\n  instances: -1\n", "manifest.yml:3: instances (app web): '-1' is not a whole number of instances from 0 to 100")]
    [InlineData("applications:\n- name: web\n  instances: two\n", "manifest.yml:3: instances (app web): 'two' is not a whole number of instances from 0 to 100")]
    [InlineData("applications:\n- name: web\n  memory: lots\n", "manifest.yml:3: memory (app web): 'lots' is not a size: use a positive number with a unit, such as 256M or 1G")]
    [InlineData("applications:\n- name: Web_1\n", "manifest.yml:2: name: 'Web_1' is not a valid app name")]
    [InlineData("applications:\n- memory: 1G\n", "manifest.yml:2: name: every app needs a name")]
    [InlineData("applications:\n- name: web\n  timeout: 0\n", "manifest.yml:3: timeout (app web): '0' is not a whole number of seconds from 1 to 600")]
    [InlineData("applications:\n- name: web\n  health-check-type: tcp\n", "manifest.yml:3: health-check-type (app web): 'tcp' is not a health check type")]
    [InlineData("applications:\n- name: web\n  health-check-type: port\n  health-check-http-endpoint: /up\n", "manifest.yml:4: health-check-http-endpoint (app web): an endpoint is only for the http health check")]
    [InlineData("applications:\n- name: web\n  no-route: maybe\n", "manifest.yml:3: no-route (app web): 'maybe' is not true or false")]
    [InlineData("applications:\n- name: web\n  routes:\n  - route: web.apps.test/a/../b\n", "manifest.yml:4: routes.route (app web): the route path '/a/../b' may not have empty, '.' or '..' segments")]
    [InlineData("applications:\n- name: web\n  routes:\n  - route: web_1.apps.test\n", "manifest.yml:4: routes.route (app web): the route 'web_1.apps.test': 'web_1' is not a valid host name")]
    [InlineData("applications:\n- name: web\n  routes:\n  - route: https://web.apps.test\n", "manifest.yml:4: routes.route (app web): 'https://web.apps.test' is not host.domain[/path]: leave out the scheme")]
    [InlineData("applications:\n- name: web\n  routes:\n  - route: web.apps.test:8080\n", "manifest.yml:4: routes.route (app web): 'web.apps.test:8080' has a port")]
    [InlineData("applications:\n- name: web\n  routes:\n  - route: web.apps.test\n  no-route: true\n", "manifest.yml:5: no-route (app web): the app also lists routes")]
    [InlineData("applications:\n- name: web\n  env:\n    PORT: 80\n", "manifest.yml:4: env.PORT (app web): 'PORT' is set by the platform")]
    [InlineData("applications:\n- name: web\n  env:\n    EMPTY:\n", "manifest.yml:4: env.EMPTY (app web): has no value")]
    [InlineData("applications:\n- name: web\n  buildpacks: [a, b]\n", "manifest.yml:3: buildpacks (app web): 2 buildpacks are listed")]
    [InlineData("applications:\n- name: web\n  volumes:\n  - name: data\n    path: /proc/x\n", "manifest.yml:4: volumes (app web): a volume cannot be mounted at '/proc/x'")]
    [InlineData("applications:\n- name: web\n- name: web\n", "manifest.yml:3: name: the app web is listed twice")]
    [InlineData("applications:\n- name: web\n    memory: 1G\n", "manifest.yml:3: not valid YAML:")]
    [InlineData("applications: [\n", "manifest.yml:2: not valid YAML:")]
    [InlineData("", "manifest.yml: the manifest is empty")]
    [InlineData("name: web\n", "manifest.yml:1: 'applications:' must be a list of one or more apps")]
    [InlineData("- name: web\n", "manifest.yml:1: the manifest must be a mapping with 'applications:'")]
    public void A_bad_value_is_an_error_naming_the_file_line_and_key(string yaml, string expected)
    {
        var result = ManifestParser.Parse(yaml, "manifest.yml");
        Assert.False(result.Ok);
        Assert.Null(result.Manifest);
        Assert.True(result.Errors.Any(e => e.StartsWith(expected, StringComparison.Ordinal)), $"expected '{expected}...' in:\n{string.Join("\n", result.Errors)}");
    }

    [Fact]
    public void Every_error_is_reported_not_only_the_first()
    {
        var result = ManifestParser.Parse("applications:\n- name: a\n  instances: -1\n- name: b\n  memory: x\n  timeout: 9999\n", "m.yml");
        Assert.Equal(3, result.Errors.Count);
    }
}
