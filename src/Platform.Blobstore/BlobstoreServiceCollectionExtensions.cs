using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Platform.Blobstore;

public static class BlobstoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IBlobStore"/> as configured by the "Blobstore" section:
    /// <c>Kind</c> = Directory (default, under <c>Directory</c>) or S3 (<c>S3:ServiceUrl</c>, <c>S3:Bucket</c>,
    /// <c>S3:AccessKey</c>, <c>S3:SecretKey</c>, <c>S3:Region</c>).
    /// </summary>
    public static IServiceCollection AddPlatformBlobstore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BlobstoreOptions>()
            .Bind(configuration.GetSection(BlobstoreOptions.SectionName))
            .Validate(
                o => o.Kind != BlobstoreKind.S3 || !string.IsNullOrWhiteSpace(o.S3.ServiceUrl),
                "Blobstore:S3:ServiceUrl is required when Blobstore:Kind is S3")
            .Validate(
                o => o.Kind != BlobstoreKind.Directory || !string.IsNullOrWhiteSpace(o.Directory),
                "Blobstore:Directory is required when Blobstore:Kind is Directory");
        services.AddSingleton<IBlobStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<BlobstoreOptions>>().Value;
            return options.Kind switch
            {
                BlobstoreKind.Directory => new DirectoryBlobStore(options.Directory),
                BlobstoreKind.S3 => new S3BlobStore(options.S3),
                _ => throw new InvalidOperationException($"unknown Blobstore:Kind '{options.Kind}'"),
            };
        });
        // "ready": /readyz of platd (Platform.Hosting) asks every check with that tag.
        services.AddHealthChecks().AddCheck<BlobstoreHealthCheck>("blobstore", tags: ["ready"]);
        return services;
    }
}
