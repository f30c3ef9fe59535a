using System.IO.Compression;
using System.Security.Cryptography;
using Platform.Blobstore;
using Platform.Contracts.Api;

namespace Platform.Api.Packages;

/// <summary>What assembling a package gave: the error, or the contents the upload carried (to keep for matching later).</summary>
public sealed record AssembledPackage(string? Error, IReadOnlyList<(string Digest, long Size, string File)> Uploaded, int Matched);

/// <summary>
/// Writes an app package from its resource list, as Cloud Foundry's resource matching does: the content of each entry
/// comes from the upload's bits (a zip of the files the platform did not have, each checked against its digest) or
/// from the blobstore (those it had). The zip is a function of the list alone: entries in the list's order, a fixed
/// timestamp, each entry's mode, files deflated, directories and symlinks stored, so a push of the same files gives
/// the same bytes, and so the same digest, however many of them were matched.
/// </summary>
public sealed class PackageAssembler(IBlobStore blobs)
{
    private static readonly DateTimeOffset FixedTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <param name="bitsZip">The upload's zip of unmatched contents (entry names are the entries' paths), or null.</param>
    /// <param name="matchable">Whether the platform has a content for this org (resource matching offered it).</param>
    /// <param name="workDir">An empty directory for contents on their way into the zip; the caller deletes it.</param>
    public async Task<AssembledPackage> AssembleAsync(IReadOnlyList<PackageResource> entries, string? bitsZip, Func<string, bool> matchable,
        string workDir, string zipPath, CancellationToken ct)
    {
        var contents = new Dictionary<string, string>(StringComparer.Ordinal); // digest -> file
        var uploaded = new List<(string, long, string)>();
        var wanted = entries.Where(e => !e.IsDirectory).ToDictionary(e => e.Path, StringComparer.Ordinal);
        if (bitsZip is not null)
        {
            try
            {
                await using var file = File.OpenRead(bitsZip);
                await using var zip = await ZipArchive.CreateAsync(file, ZipArchiveMode.Read, leaveOpen: false, entryNameEncoding: null, ct);
                foreach (var entry in zip.Entries)
                {
                    if (!wanted.TryGetValue(entry.FullName, out var resource))
                        return Fail($"the bits have an entry '{entry.FullName}' that the resource list does not name as a file");
                    if (contents.ContainsKey(resource.Digest!)) continue;
                    var target = Path.Combine(workDir, BlobDigest.ParseHex(resource.Digest!));
                    var (digest, size) = await CopyHashingAsync(entry, target, ct);
                    if (digest != resource.Digest || size != resource.Size)
                        return Fail($"the content sent for '{entry.FullName}' is {digest} ({size} bytes), not the {resource.Digest} ({resource.Size} bytes) listed");
                    contents[digest] = target;
                    uploaded.Add((digest, size, target));
                }
            }
            catch (InvalidDataException e)
            {
                return Fail($"the bits are not a valid zip file: {e.Message}");
            }
        }

        var fromStore = wanted.Values.Select(e => e.Digest!).Distinct(StringComparer.Ordinal).Where(d => !contents.ContainsKey(d)).ToList();
        if (fromStore.FirstOrDefault(d => !matchable(d)) is { } missing)
            return Fail($"the upload has no content for '{wanted.Values.First(e => e.Digest == missing).Path}' ({missing}) and the platform does not have it: ask resource_match again and send what it does not return");
        var downloads = fromStore.ToDictionary(d => d, d => Path.Combine(workDir, BlobDigest.ParseHex(d)));
        await Parallel.ForEachAsync(downloads, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (d, token) => await blobs.DownloadToFileAsync(d.Key, d.Value, token));
        foreach (var (digest, file) in downloads) contents[digest] = file;

        await using (var output = new FileStream(zipPath, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true))
        await using (var zip = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: false, entryNameEncoding: null, ct))
        {
            foreach (var resource in entries)
            {
                var type = resource.Mode & PackageResources.TypeMask;
                var stored = resource.IsDirectory || type == PackageResources.Symlink;
                var entry = zip.CreateEntry(resource.Path, stored ? CompressionLevel.NoCompression : CompressionLevel.Optimal);
                entry.LastWriteTime = FixedTime;
                entry.ExternalAttributes = PackageResources.ExternalAttributesOf(resource.Mode);
                if (resource.IsDirectory) continue;
                await using var target = await entry.OpenAsync(ct);
                await using var source = File.OpenRead(contents[resource.Digest!]);
                await source.CopyToAsync(target, ct);
            }
        }
        return new AssembledPackage(null, uploaded, fromStore.Count);
    }

    private static AssembledPackage Fail(string error) => new(error, [], 0);

    private static async Task<(string Digest, long Size)> CopyHashingAsync(ZipArchiveEntry entry, string target, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var source = await entry.OpenAsync(ct);
        await using var output = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true);
        var buffer = new byte[81920];
        long size = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, ct)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await output.WriteAsync(buffer.AsMemory(0, read), ct);
            size += read;
        }
        return ("sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset()), size);
    }
}
