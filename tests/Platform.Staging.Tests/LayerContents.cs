using System.Formats.Tar;
using System.IO.Compression;
using Platform.Blobstore;

namespace Platform.Staging.Tests;

/// <summary>Reads a layer blob (tar+gzip) from the blobstore: entry names and modes.</summary>
public static class LayerContents
{
    public static async Task<IReadOnlyDictionary<string, TarEntry>> ReadAsync(IBlobStore blobs, string digest)
    {
        var entries = new Dictionary<string, TarEntry>();
        await using var blob = await blobs.OpenReadAsync(digest, CancellationToken.None);
        await using var gzip = new GZipStream(blob, CompressionMode.Decompress);
        await using var tar = new TarReader(gzip);
        while (await tar.GetNextEntryAsync() is { } entry)
            entries[entry.Name.TrimStart('.', '/').TrimEnd('/')] = entry;
        return entries;
    }
}
