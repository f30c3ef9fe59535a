using System.Diagnostics;
using System.Globalization;
using Platform.TestSupport;

namespace Platform.Benchmarks;

/// <summary>
/// An nginx of the benchmark's own (Debian's nginx, one worker, its own prefix directory and config), run in the
/// foreground so this process owns it and stops it with SIGTERM (its workers exit with it).
/// </summary>
public sealed class Nginx : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _prefix;

    private Nginx(Process process, string prefix, int port)
    {
        _process = process;
        _prefix = prefix;
        Port = port;
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>A static-file server: every path answers <paramref name="body"/> (the trivial backend).</summary>
    public static Task<Nginx> StaticAsync(string body) =>
        StartAsync(port => $$"""
            server {
              listen 127.0.0.1:{{port}};
              location / { default_type text/plain; root {PREFIX}/www; try_files /index.txt =404; }
            }
            """, prefix =>
        {
            Directory.CreateDirectory(Path.Combine(prefix, "www"));
            File.WriteAllText(Path.Combine(prefix, "www", "index.txt"), body);
        });

    /// <summary>A reverse proxy to <paramref name="upstream"/> (host:port) with a keep-alive upstream pool, as a tuned nginx in front of apps.</summary>
    public static Task<Nginx> ProxyAsync(string upstream) =>
        StartAsync(port => $$"""
            upstream app { server {{upstream}}; keepalive 128; }
            server {
              listen 127.0.0.1:{{port}};
              location / {
                proxy_pass http://app;
                proxy_http_version 1.1;
                proxy_set_header Connection "";
                proxy_set_header Host $host;
                proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                proxy_set_header X-Forwarded-Proto $scheme;
              }
            }
            """);

    private static async Task<Nginx> StartAsync(Func<int, string> server, Action<string>? prepare = null)
    {
        var prefix = Directory.CreateTempSubdirectory("bench-nginx-").FullName;
        // nginx's workers run as nobody: they must be able to read the served file.
        File.SetUnixFileMode(prefix, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        prepare?.Invoke(prefix);
        var port = PlatdProcess.FreePort();
        var config = $$"""
            daemon off;
            worker_processes 1;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/error.log warn;
            events { worker_connections 4096; }
            http {
              access_log off;
              keepalive_requests 1000000;
              client_body_temp_path {{prefix}}/body;
              proxy_temp_path {{prefix}}/proxy;
              fastcgi_temp_path {{prefix}}/fastcgi;
              uwsgi_temp_path {{prefix}}/uwsgi;
              scgi_temp_path {{prefix}}/scgi;
            {{server(port).Replace("{PREFIX}", prefix, StringComparison.Ordinal)}}
            }
            """;
        var file = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(file, config);
        var psi = new ProcessStartInfo("nginx") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-p", prefix, "-c", file }) psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        var nginx = new Nginx(process, prefix, port);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"nginx exited: {await process.StandardError.ReadToEndAsync()}");
            try
            {
                await http.GetAsync(nginx.Url);
                return nginx;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline) { await Task.Delay(50); }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await _process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        }
        _process.Dispose();
        try { Directory.Delete(_prefix, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
