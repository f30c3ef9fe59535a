using System.Net;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.Router.Tests;

/// <summary>What users ask of a router, each through the real router to a real backend: WebSockets, HTTP/2 from
/// clients (h2c and TLS), gRPC to an app that speaks HTTP/2, and the forwarded headers.</summary>
public sealed class RouterProtocolTests(RouterFixture router) : IClassFixture<RouterFixture>
{
    [Fact]
    public async Task A_WebSocket_upgrade_goes_through_to_the_app_and_echoes_both_ways()
    {
        await using var backend = await Backend.StartAsync(HttpProtocols.Http1, app =>
        {
            app.UseWebSockets();
            app.Run(async context =>
            {
                if (!context.WebSockets.IsWebSocketRequest) { context.Response.StatusCode = 400; return; }
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[1024];
                while (true)
                {
                    var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                    if (received.MessageType == WebSocketMessageType.Close) break;
                    var reply = Encoding.UTF8.GetBytes("echo: " + Encoding.UTF8.GetString(buffer, 0, received.Count));
                    await socket.SendAsync(reply, WebSocketMessageType.Text, true, context.RequestAborted);
                }
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            });
        });
        var (appId, _, host) = await router.AddAppAsync("ws");
        await router.AddInstanceAsync(appId, 0, backend.Address);
        await router.ReloadAsync();

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Host", host);
        await socket.ConnectAsync(new Uri(router.RouterUrl.Replace("http://", "ws://") + "/chat"), CancellationToken.None);
        var buffer = new byte[1024];
        foreach (var text in new[] { "one", "two" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            Assert.Equal("echo: " + text, Encoding.UTF8.GetString(buffer, 0, received.Count));
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    [Fact]
    public async Task Clients_speak_HTTP2_with_prior_knowledge_on_the_h2c_port()
    {
        await using var backend = await TestBackend.StartAsync("h2c");
        var (appId, _, host) = await router.AddAppAsync("h2c");
        await router.AddInstanceAsync(appId, 0, backend.Address);
        await router.ReloadAsync();

        using var http = new HttpClient(new SocketsHttpHandler())
        {
            BaseAddress = new Uri(router.RouterH2cUrl),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/h2")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Host = host;
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(backend.Body, await response.Content.ReadAsStringAsync());
        Assert.Equal(host, Assert.Single(backend.Requests)["Host"]);
    }

    [Fact]
    public async Task With_a_certificate_the_router_serves_HTTPS_and_HTTP2_over_TLS()
    {
        var dir = Directory.CreateTempSubdirectory("router-tls-").FullName;
        try
        {
            using var certificate = SelfSigned();
            var certPath = Path.Combine(dir, "router.crt");
            var keyPath = Path.Combine(dir, "router.key");
            await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(keyPath, certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
            var (tlsRouter, _, _) = await router.StartRouterAsync(new()
            {
                ["Router:TlsUrl"] = "https://127.0.0.1:0",
                ["Router:CertificatePath"] = certPath,
                ["Router:CertificateKeyPath"] = keyPath,
            });
            var tlsUrl = tlsRouter.Services.GetRequiredService<RouterHost>().Urls.Single(u => u.StartsWith("https://", StringComparison.Ordinal));
            await using var backend = await TestBackend.StartAsync("tls");
            var (appId, _, host) = await router.AddAppAsync("tls");
            await router.AddInstanceAsync(appId, 0, backend.Address);
            await tlsRouter.Services.GetRequiredService<RouteTableLoader>().ReloadAsync(CancellationToken.None);

            var handler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    // Trust exactly the certificate this test made, nothing else.
                    RemoteCertificateValidationCallback = (_, presented, _, _) =>
                        presented is not null && presented.GetCertHashString() == certificate.GetCertHashString(),
                },
            };
            using var http = new HttpClient(handler)
            {
                BaseAddress = new Uri(tlsUrl),
                DefaultRequestVersion = HttpVersion.Version20,
                DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/secure")
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            request.Headers.Host = host;
            using var response = await http.SendAsync(request);

            Assert.Equal(HttpVersion.Version20, response.Version);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(backend.Body, await response.Content.ReadAsStringAsync());
            Assert.Equal("https", Assert.Single(backend.Requests)["X-Forwarded-Proto"]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_gRPC_call_reaches_an_app_whose_route_speaks_http2_with_its_trailers()
    {
        await using var backend = await Backend.StartAsync(HttpProtocols.Http2, app => app.MapGrpcService<EchoService>(),
            services => services.AddGrpc());
        var (appId, _, host) = await router.AddAppAsync("grpc", protocol: "http2");
        await router.AddInstanceAsync(appId, 0, backend.Address);
        await router.ReloadAsync();

        using var channel = GrpcChannel.ForAddress(router.RouterH2cUrl, new GrpcChannelOptions
        {
            HttpHandler = new AuthorityHandler(host) { InnerHandler = new SocketsHttpHandler() },
        });
        var call = channel.CreateCallInvoker().AsyncUnaryCall(Echo.Method, null, new CallOptions(), "hello");

        Assert.Equal("echo: hello", await call.ResponseAsync);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal("yes", call.GetTrailers().GetValue("x-echoed"));
    }

    [Fact]
    public async Task An_http1_route_to_an_app_that_only_speaks_http2_does_not_reach_it()
    {
        await using var backend = await Backend.StartAsync(HttpProtocols.Http2, app => app.Run(c => c.Response.WriteAsync("h2 only")));
        var (appId, _, host) = await router.AddAppAsync("h2only");
        await router.AddInstanceAsync(appId, 0, backend.Address);
        await router.ReloadAsync();

        using var response = await router.GetAsync(host);

        // The route's protocol is what makes the router speak HTTP/2 to an app: spoken to in HTTP/1.1, Kestrel's
        // HTTP/2-only endpoint refuses the request.
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual("h2 only", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Forwarded_headers_from_a_proxy_in_front_are_kept_and_this_hop_is_appended()
    {
        await using var backend = await TestBackend.StartAsync("fwd");
        var (appId, _, host) = await router.AddAppAsync("fwd");
        await router.AddInstanceAsync(appId, 0, backend.Address);
        await router.ReloadAsync();

        using var response = await router.GetAsync(host, "/", r =>
        {
            r.Headers.Add("X-Forwarded-For", "203.0.113.7");
            r.Headers.Add("X-Forwarded-Proto", "https");
            r.Headers.Add("X-Forwarded-Host", "www.example.com");
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(backend.Requests);
        Assert.Equal(["203.0.113.7", "127.0.0.1"], List(seen["X-Forwarded-For"]));
        Assert.Equal(["https", "http"], List(seen["X-Forwarded-Proto"]));
        Assert.Equal(["www.example.com", host], List(seen["X-Forwarded-Host"]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    public async Task A_missing_or_unusable_request_id_is_replaced_by_a_new_one(string given)
    {
        await using var backend = await TestBackend.StartAsync("rid");
        var (appId, _, host) = await router.AddAppAsync("rid");
        await router.AddInstanceAsync(appId, 0, backend.Address);
        await router.ReloadAsync();

        using var response = await router.GetAsync(host, "/", r => { if (given.Length > 0) r.Headers.TryAddWithoutValidation("X-Request-Id", given); });

        var id = Assert.Single(backend.Requests)["X-Request-Id"];
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal([id], response.Headers.GetValues("X-Request-Id"));
    }

    private static string[] List(string header) => header.Split(',', StringSplitOptions.TrimEntries);

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=router test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("*.apps.localhost");
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        using var made = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        // Export and load again, so the certificate carries its key the way a file would give it.
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pfx), null);
    }

    /// <summary>Sends gRPC calls with the app's host as their :authority (the router routes by it).</summary>
    private sealed class AuthorityHandler(string host) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Host = host;
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>A real Kestrel app on a loopback port speaking the given protocols (Http2 alone: h2c with prior knowledge).</summary>
    private sealed class Backend : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Backend(WebApplication app, string address)
        {
            _app = app;
            Address = address;
        }

        public string Address { get; }

        public static async Task<Backend> StartAsync(HttpProtocols protocols, Action<WebApplication> configure,
            Action<IServiceCollection>? services = null)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.Protocols = protocols));
            builder.Logging.ClearProviders();
            services?.Invoke(builder.Services);
            var app = builder.Build();
            configure(app);
            await app.StartAsync();
            var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            return new Backend(app, new Uri(url).Authority);
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}

/// <summary>
/// A gRPC service without generated code (no protoc): one unary method with UTF-8 string messages, declared the way
/// generated code declares one (a static class that binds, a base class with a virtual handler that Grpc.AspNetCore
/// finds by the method's name), and an implementation that sets a trailer.
/// </summary>
public static class Echo
{
    private static readonly Marshaller<string> Utf8 = Marshallers.Create(Encoding.UTF8.GetBytes, Encoding.UTF8.GetString);

    public static readonly Method<string, string> Method = new(MethodType.Unary, "platform.test.Echo", "Say", Utf8, Utf8);

    public static void BindService(ServiceBinderBase binder, EchoBase? service) =>
        binder.AddMethod(Method, service is null ? null : service.Say);
}

[BindServiceMethod(typeof(Echo), nameof(Echo.BindService))]
public abstract class EchoBase
{
    public virtual Task<string> Say(string request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, "Say"));
}

public sealed class EchoService : EchoBase
{
    public override Task<string> Say(string request, ServerCallContext context)
    {
        context.ResponseTrailers.Add("x-echoed", "yes");
        return Task.FromResult("echo: " + request);
    }
}
