using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Platform.Router.Tests;

public sealed class RouterRegistrationTests
{
    private static IOptions<RouterOptions> Options(Dictionary<string, string?> settings)
    {
        var all = new Dictionary<string, string?> { ["Router:ApiUrl"] = "http://127.0.0.1:7070", ["Router:ApiToken"] = "secret" };
        foreach (var (k, v) in settings) all[k] = v;
        return new ServiceCollection()
            .AddPlatformRouter(new ConfigurationBuilder().AddInMemoryCollection(all).Build())
            .BuildServiceProvider()
            .GetRequiredService<IOptions<RouterOptions>>();
    }

    [Fact]
    public void Defaults()
    {
        var options = Options(new()).Value;

        Assert.Equal("http://127.0.0.1:7080", options.Url);
        Assert.Equal("apps.localhost", options.AppsDomain);
        Assert.Equal(5, options.ResyncSeconds);
    }

    [Theory]
    [InlineData("Router:Url", "not a url", "Router:Url")]
    [InlineData("Router:Url", "ftp://127.0.0.1:1", "Router:Url")]
    [InlineData("Router:ResyncSeconds", "0", "Router:ResyncSeconds")]
    [InlineData("Router:ApiUrl", "", "Router:ApiUrl")]
    [InlineData("Router:ApiUrl", "api.example:7070", "Router:ApiUrl")]
    [InlineData("Router:ApiToken", "", "Router:ApiToken")]
    [InlineData("Router:TlsUrl", "http://0.0.0.0:7443", "Router:TlsUrl")]
    [InlineData("Router:TlsUrl", "https://0.0.0.0:7443", "Router:CertificatePath")]
    public void Bad_settings_fail_with_a_message_naming_them(string key, string value, string expected)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Options(new() { [key] = value }).Value);

        Assert.Contains(expected, error.Message);
    }
}
