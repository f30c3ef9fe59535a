using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.Sandbox.Layers;

namespace Platform.Sandbox.Tests;

public sealed class RegistrationTests
{
    [Fact]
    public void AddPlatformSandbox_binds_the_options_and_registers_the_sandbox_and_layer_cache()
    {
        var root = Path.Combine("/var/tmp/platform-registration-tests", Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Sandbox:Root"] = Path.Combine(root, "sandbox"),
                ["Sandbox:Runtime"] = "runc",
                ["Sandbox:Network:Bridge"] = "plattest9",
                ["Sandbox:Network:Subnet"] = "10.246.0.0/16",
                ["Sandbox:Network:HostPortRangeStart"] = "63000",
                ["Sandbox:Network:HostPortRangeEnd"] = "63099",
            }).Build();
            using var services = new ServiceCollection().AddLogging().AddPlatformSandbox(config).BuildServiceProvider();

            var options = services.GetRequiredService<IOptions<SandboxOptions>>().Value;
            Assert.Equal("plattest9", options.Network.Bridge);
            Assert.Equal(63099, options.Network.HostPortRangeEnd);
            var sandbox = services.GetRequiredService<ISandbox>();
            Assert.Same(services.GetRequiredService<Sandbox>(), sandbox);
            Assert.Equal("runc", sandbox.RuntimeName);
            Assert.Equal(Path.Combine(root, "layers"), services.GetRequiredService<LayerCache>().Directory);
            Assert.Throws<ArgumentException>(() => new Network.Networker(
                new SandboxNetworkOptions { Subnet = "10.246.0.0/33" }, root, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
