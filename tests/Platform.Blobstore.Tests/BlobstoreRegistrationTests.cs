using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.Blobstore;

namespace Platform.Blobstore.Tests;

public sealed class BlobstoreRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings) =>
        new ServiceCollection()
            .AddPlatformBlobstore(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .BuildServiceProvider();

    [Fact]
    public void Directory_is_the_default_kind()
    {
        var root = Path.Combine(Path.GetTempPath(), "blobstore-reg-" + Guid.NewGuid().ToString("N"));
        using var services = Build(new() { ["Blobstore:Directory"] = root });

        var store = Assert.IsType<DirectoryBlobStore>(services.GetRequiredService<IBlobStore>());

        Assert.Equal(root, store.Root);
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public void Default_directory_is_var_lib_platform_blobs()
    {
        using var services = Build(new());

        Assert.Equal("/var/lib/platform/blobs", services.GetRequiredService<IOptions<BlobstoreOptions>>().Value.Directory);
    }

    [Fact]
    public void S3_kind_binds_its_settings()
    {
        using var services = Build(new()
        {
            ["Blobstore:Kind"] = "S3",
            ["Blobstore:S3:ServiceUrl"] = "http://127.0.0.1:4568",
            ["Blobstore:S3:Bucket"] = "my-bucket",
            ["Blobstore:S3:AccessKey"] = "ak",
            ["Blobstore:S3:SecretKey"] = "sk",
        });

        var store = Assert.IsType<S3BlobStore>(services.GetRequiredService<IBlobStore>());

        Assert.Equal("my-bucket", store.Bucket);
        Assert.Equal("us-east-1", services.GetRequiredService<IOptions<BlobstoreOptions>>().Value.S3.Region);
    }

    [Fact]
    public void S3_kind_without_a_service_url_fails_with_a_clear_message()
    {
        using var services = Build(new() { ["Blobstore:Kind"] = "S3" });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IBlobStore>());

        Assert.Contains("Blobstore:S3:ServiceUrl", error.Message);
    }
}
