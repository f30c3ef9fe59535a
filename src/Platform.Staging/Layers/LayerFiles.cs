using Microsoft.Extensions.Options;
using Platform.Blobstore;
using Platform.Sandbox.Layers;


namespace Platform.Staging.Layers;

/// <summary>A packed layer file on the staging host, with the digest and size its blob will have.</summary>
public sealed record LayerFile(string Digest, long Size, string File);

/// <summary>
/// Packs directories into layers (deterministic tar.gz, through the sandbox's <see cref="LayerPacker"/>),
/// keeps the reusable ones (stack, dependencies) in the host cache by digest, and uploads them to the
/// blobstore only when it does not have them yet.
/// </summary>
public sealed class LayerFiles(IBlobStore blobs, IOptions<StagingOptions> options)
{
    private readonly string _cacheDir = Path.Combine(options.Value.CacheDir, "layers");

    /// <summary>Where the cached layer file of <paramref name="digest"/> is kept.</summary>
    public string CachedPathOf(string digest) => Path.Combine(_cacheDir, BlobDigest.ParseHex(digest) + ".tar.gz");

    /// <summary>Packs <paramref name="sourceDir"/> into <paramref name="outputFile"/>.</summary>
    /// <param name="prefix">Path every entry gets inside the layer, e.g. "layers/busybox/"; "" for none.</param>
    /// <param name="exclusions">Patterns of paths (relative to <paramref name="sourceDir"/>) left out.</param>
    public async Task<LayerFile> PackAsync(
        string sourceDir, string prefix, IReadOnlyList<string> exclusions, string outputFile, CancellationToken cancellationToken)
    {
        var packed = await LayerPacker.PackToFileAsync(
            sourceDir, outputFile, new LayerPackOptions { Prefix = prefix, Exclude = exclusions }, cancellationToken);
        return new LayerFile(packed.Digest, packed.Size, outputFile);
    }

    /// <summary>Packs into the host cache (kept for later builds); returns the cached layer.</summary>
    public async Task<LayerFile> PackIntoCacheAsync(
        string sourceDir, string prefix, IReadOnlyList<string> exclusions, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_cacheDir);
        var temporary = Path.Combine(_cacheDir, $".packing-{Guid.NewGuid():N}");
        try
        {
            var packed = await PackAsync(sourceDir, prefix, exclusions, temporary, cancellationToken);
            var final = CachedPathOf(packed.Digest);
            File.Move(temporary, final, overwrite: true);
            return packed with { File = final };
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Puts the layer into the blobstore unless it is there already (content-addressed: stored once).</summary>
    public async Task UploadAsync(LayerFile layer, CancellationToken cancellationToken)
    {
        if (await blobs.ExistsAsync(layer.Digest, cancellationToken)) return;
        var stored = await blobs.PutFileAsync(layer.File, cancellationToken);
        if (stored.Digest != layer.Digest)
            throw new InvalidOperationException($"layer file {layer.File} changed after packing: expected {layer.Digest}, stored {stored.Digest}");
    }
}
