namespace Platform.TestSupport;

/// <summary>
/// Credentials for the test s3rver at <see cref="TestEnvironment.S3Url"/>. s3rver does not verify SigV4
/// signatures, but it does reject access key ids it does not know ("The AWS Access Key Id you provided does
/// not exist in our records"); its built-in account is S3RVER / S3RVER.
/// </summary>
public static class TestS3
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    public const string Region = "us-east-1";

    /// <summary>A fresh, valid bucket name (lowercase, 3-63 chars) for one test class.</summary>
    public static string NewBucketName(string prefix = "test") => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 33)];
}
