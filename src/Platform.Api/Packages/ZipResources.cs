using System.IO.Compression;
using System.Security.Cryptography;
using Platform.Contracts.Api;

namespace Platform.Api.Packages;

/// <summary>The resource list of a zip uploaded whole (PUT .../package with a zip body), for its package's fingerprint.</summary>
public static class ZipResources
{
    public static async Task<List<PackageResource>> ReadAsync(string zipPath, CancellationToken ct)
    {
        await using var file = File.OpenRead(zipPath);
        await using var zip = await ZipArchive.CreateAsync(file, ZipArchiveMode.Read, leaveOpen: false, entryNameEncoding: null, ct);
        var list = new List<PackageResource>();
        foreach (var entry in zip.Entries)
        {
            var mode = PackageResources.ModeOf(entry.ExternalAttributes);
            if (entry.FullName.EndsWith('/')) { list.Add(new PackageResource(entry.FullName, mode)); continue; }
            await using var content = await entry.OpenAsync(ct);
            var digest = "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(content, ct));
            list.Add(new PackageResource(entry.FullName, mode, digest, entry.Length));
        }
        return list;
    }
}
