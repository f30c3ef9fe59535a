namespace Platform.Blobstore;

public enum BlobstoreKind
{
    /// <summary>Files in a local directory: <c>platd --dev</c> and single-host setups.</summary>
    Directory,
    /// <summary>Any S3-compatible server (MinIO, s3rver, AWS), path-style.</summary>
    S3,
}

/// <summary>Bound from the "Blobstore" configuration section.</summary>
public sealed class BlobstoreOptions
{
    public const string SectionName = "Blobstore";

    public BlobstoreKind Kind { get; set; } = BlobstoreKind.Directory;

    /// <summary>Root of a <see cref="BlobstoreKind.Directory"/> store.</summary>
    public string Directory { get; set; } = "/var/lib/platform/blobs";

    public S3BlobstoreOptions S3 { get; set; } = new();
}

/// <summary>Bound from "Blobstore:S3".</summary>
public sealed class S3BlobstoreOptions
{
    /// <summary>The server's base URL, e.g. http://127.0.0.1:9000. Required for an S3 store.</summary>
    public string ServiceUrl { get; set; } = "";

    public string Bucket { get; set; } = "platform-blobs";

    public string AccessKey { get; set; } = "";

    public string SecretKey { get; set; } = "";

    public string Region { get; set; } = "us-east-1";

    /// <summary>Where incoming blobs are spooled while they are hashed; the system temp dir when empty.</summary>
    public string SpoolDirectory { get; set; } = "";
}
