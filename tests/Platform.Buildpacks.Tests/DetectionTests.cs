using Platform.TestSupport;
using Xunit.Abstractions;

namespace Platform.Buildpacks.Tests;

/// <summary>
/// Which buildpack takes an app that ships an index.html, as Cloud Foundry decides: a bare index.html makes a static
/// site only when no other buildpack detects the app. Real apps pushed with plat to a real platd, answered through
/// the router; the staging log (streamed by plat push) says which buildpack detected the app and why.
/// </summary>
[Collection(PlatdCollection.Name)]
public sealed class DetectionTests(PlatdFixture fixture, ITestOutputHelper output)
{
    private PlatdProcess Platd => fixture.Platd;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private async Task<CommandResult> PushAsync(string app, string dir)
    {
        var push = await Platd.PlatAsync(["push", app, "-p", dir, "-m", "128M"], timeout: TimeSpan.FromMinutes(10));
        output.WriteLine(push.ToString());
        Assert.True(push.ExitCode == 0, $"push failed: {push}\nplatd log:\n{Platd.Log}");
        return push;
    }

    [Fact]
    public async Task A_node_app_with_public_index_html_runs_its_start_script()
    {
        var dir = AppDirs.Scratch(new Dictionary<string, string>
        {
            ["package.json"] = "{ \"name\": \"spa\", \"scripts\": { \"start\": \"node server.js\" } }\n",
            ["server.js"] = "const fs = require('fs');\n" +
                            "require('http').createServer((q, s) => s.end(fs.readFileSync('public/index.html', 'utf8') + ' (served by node ' + process.version + ')'))" +
                            ".listen(process.env.PORT);\n",
            ["public/index.html"] = "<h1>single page</h1>",
        });
        try
        {
            var push = await PushAsync("detect-node", dir);
            Assert.Contains("-----> nodejs detected: package.json", push.Stdout);
            Assert.Contains("Start command (from buildpack nodejs): npm start", push.Stdout);
            var body = await Router.GetOkAsync(Platd.RouterUrl, "detect-node.apps.localhost", StartTimeout);
            Assert.Equal("<h1>single page</h1> (served by node v18.20.4)", body);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_python_app_with_a_procfile_and_an_index_html_runs_its_procfile()
    {
        var dir = AppDirs.Scratch(new Dictionary<string, string>
        {
            ["requirements.txt"] = "# nothing beyond the standard library\n",
            ["Procfile"] = "web: python3 server.py\n",
            ["index.html"] = "<h1>python home</h1>",
            ["server.py"] = "import os, sys\nfrom http.server import BaseHTTPRequestHandler, HTTPServer\n" +
                            "class H(BaseHTTPRequestHandler):\n" +
                            "    def do_GET(self):\n" +
                            "        body = (open('index.html').read() + ' (served by python ' + sys.version.split()[0] + ')').encode()\n" +
                            "        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)\n" +
                            "HTTPServer(('', int(os.environ['PORT'])), H).serve_forever()\n",
        });
        try
        {
            var push = await PushAsync("detect-python", dir);
            Assert.Contains("-----> python detected: requirements.txt", push.Stdout);
            Assert.Contains("Start command (from Procfile): python3 server.py", push.Stdout);
            var body = await Router.GetOkAsync(Platd.RouterUrl, "detect-python.apps.localhost", StartTimeout);
            Assert.Equal("<h1>python home</h1> (served by python 3.11.2)", body);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("index.html", "index.html at the app's root")]
    [InlineData("public/index.html", "public/index.html")]
    public async Task A_folder_with_only_an_index_html_is_served_by_staticfile(string file, string reason)
    {
        var app = file.StartsWith("public", StringComparison.Ordinal) ? "detect-public" : "detect-site";
        var dir = AppDirs.Scratch(new Dictionary<string, string> { [file] = $"<h1>{app}</h1>" });
        try
        {
            var push = await PushAsync(app, dir);
            Assert.Contains($"-----> staticfile detected: {reason}; no other buildpack detects the app " +
                            "(tried java, nodejs, python, dotnet, binary)", push.Stdout);
            Assert.Contains("Start command (from buildpack staticfile): /layers/busybox/bin/busybox httpd", push.Stdout);
            Assert.Equal($"<h1>{app}</h1>", await Router.GetOkAsync(Platd.RouterUrl, $"{app}.apps.localhost", StartTimeout));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
