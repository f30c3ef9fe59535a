using System.Security.Cryptography;

namespace Platform.Sandbox.Layers;

/// <summary>"sha256:&lt;64 lowercase hex&gt;" digests, as OCI writes them.</summary>
public static class Digest
{
    public const string Prefix = "sha256:";

    /// <summary>The hex part of a digest, after checking its form.</summary>
    public static string Hex(string digest)
    {
        if (digest is null || !digest.StartsWith(Prefix, StringComparison.Ordinal) || digest.Length != Prefix.Length + 64
            || !digest.AsSpan(Prefix.Length).ContainsOnlyHexLowercase())
            throw new ArgumentException($"'{digest}' is not a digest of the form sha256:<64 lowercase hex digits>", nameof(digest));
        return digest[Prefix.Length..];
    }

    public static string FromHash(byte[] sha256) => Prefix + Convert.ToHexStringLower(sha256);

    private static bool ContainsOnlyHexLowercase(this ReadOnlySpan<char> s)
    {
        foreach (var c in s) if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f'))) return false;
        return true;
    }
}

/// <summary>Passes bytes through (reading or writing) while hashing them with SHA-256 and counting them.</summary>
internal sealed class HashingStream(Stream inner, bool leaveOpen) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    public long BytesHashed { get; private set; }

    public string FinishDigest() => Digest.FromHash(_hash.GetHashAndReset());

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        Hash(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken);
        Hash(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Hash(buffer);
        inner.Write(buffer);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Hash(buffer.Span);
        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Hash(ReadOnlySpan<byte> bytes)
    {
        _hash.AppendData(bytes);
        BytesHashed += bytes.Length;
    }

    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesHashed; set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!leaveOpen) inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
