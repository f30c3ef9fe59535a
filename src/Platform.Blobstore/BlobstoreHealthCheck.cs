using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.Blobstore;

/// <summary>Ready when the blobstore answers (an S3 server: its bucket is there and a lookup works).</summary>
public sealed class BlobstoreHealthCheck(IBlobStore blobs) : IHealthCheck
{
    private static readonly string Probe = "sha256:" + new string('0', 64);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await blobs.ExistsAsync(Probe, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("the blobstore does not answer", e);
        }
    }
}
