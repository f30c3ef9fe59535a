using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Platform.Router.Tests;

public sealed class RouterRegistrationTests
{
    private static IOptions<RouterOptions> Options(Dictionary<string, string?> settings) =>
        new ServiceCollection()
            .AddPlatformRouter(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .BuildServiceProvider()
            .GetRequiredService<IOptions<RouterOptions>>();

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
    public void Bad_settings_fail_with_a_message_naming_them(string key, string value, string expected)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Options(new() { [key] = value }).Value);

        Assert.Contains(expected, error.Message);
    }
}
