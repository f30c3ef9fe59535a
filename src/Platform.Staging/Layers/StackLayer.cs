using System.IO.Enumeration;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Staging.Layers;

/// <summary>
/// The stack rootfs as the first layer of every droplet. Packing 200 MB takes a while, so it is done once:
/// the digest is recorded beside the rootfs under a fingerprint of the directory (every path, size, mode
/// and mtime), and the packed file is kept, so later builds only compare fingerprints.
/// </summary>
public sealed class StackLayer(LayerFiles layerFiles, IOptions<StagingOptions> options, ILogger<StackLayer> logger)
{
    private readonly StagingOptions _options = options.Value;

    /// <summary>
    /// Left out of the layer: the kernel's virtual filesystems and device nodes (the runtime provides them),
    /// and what debootstrap leaves behind.
    /// </summary>
    public static readonly IReadOnlyList<string> Exclusions =
        ["dev/*", "proc/*", "sys/*", "debootstrap", ".complete", "var/cache/apt/archives/*.deb", "var/log/bootstrap.log"];

    public string RootfsDir => Path.GetFullPath(_options.StackRootfs);

    /// <summary>The directory to use as the stack's layer in staging containers.</summary>
    public string Directory => RootfsDir;

    public string LayerName => "stack:" + _options.StackName;

    private string RecordPath => CachePrefix + ".layer.json";

    private string CachePrefix => _options.StackLayerCacheDir is { Length: > 0 } dir
        ? Path.Combine(dir, Path.GetFileName(RootfsDir.TrimEnd('/')))
        : RootfsDir.TrimEnd('/');

    /// <summary>The digest and size of the stack layer as last packed on this host, or null when it never was.</summary>
    public async Task<(string Digest, long Size)?> LastPackedAsync(CancellationToken cancellationToken)
    {
        var record = await AtomicFile.ReadJsonAsync<StackRecord>(RecordPath, cancellationToken);
        return record is null ? null : (record.Digest, record.Size);
    }

    /// <summary>Returns the packed stack layer, packing it only when the rootfs changed since last time.</summary>
    public async Task<LayerFile> GetAsync(Action<string> log, CancellationToken cancellationToken)
    {
        if (!System.IO.Directory.Exists(Path.Combine(RootfsDir, "bin")))
            throw new StagingFailedException($"the stack rootfs {RootfsDir} is missing or empty (Staging:StackRootfs; deploy/lib.sh builds it)");
        using var _ = await KeyedLock.AcquireAsync("stack:" + RootfsDir, cancellationToken);
        var fingerprint = Fingerprint(RootfsDir);
        var record = await AtomicFile.ReadJsonAsync<StackRecord>(RecordPath, cancellationToken);
        if (record is not null && record.Fingerprint == fingerprint && File.Exists(record.File))
            return new LayerFile(record.Digest, record.Size, record.File);

        log($"-----> Packing the {_options.StackName} stack into a layer (once per machine)");
        logger.LogInformation("packing stack rootfs {Rootfs}", RootfsDir);
        var layerFile = CachePrefix + ".layer.tar.gz";
        var temporary = $"{layerFile}.{Guid.NewGuid():N}.tmp";
        try
        {
            var packed = await layerFiles.PackAsync(RootfsDir, "", Exclusions, temporary, cancellationToken);
            File.Move(temporary, layerFile, overwrite: true);
            await AtomicFile.WriteJsonAsync(RecordPath, new StackRecord(fingerprint, packed.Digest, packed.Size, layerFile), cancellationToken);
            return packed with { File = layerFile };
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// A hash over every entry's path, type, size, mode and mtime: cheap (no file contents are read) and
    /// changed by anything that would change the packed layer (apt-get install in the rootfs, say).
    /// </summary>
    public static string Fingerprint(string root)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", options).OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                var relative = Path.GetRelativePath(root, entry.FullName);
                if (IsExcluded(relative)) continue;
                var isLink = entry.LinkTarget is not null;
                var line = $"{relative}\0{(isLink ? "l" : entry is DirectoryInfo ? "d" : "f")}\0" +
                           $"{(entry is FileInfo f && !isLink ? f.Length : 0)}\0{(int)entry.UnixFileMode}\0{entry.LastWriteTimeUtc.Ticks}\0{entry.LinkTarget}\n";
                hash.AppendData(Encoding.UTF8.GetBytes(line));
                if (entry is DirectoryInfo && !isLink) pending.Push(entry.FullName);
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    // The same patterns, with the same matching, as the packer's, so the fingerprint covers what is packed.
    private static bool IsExcluded(string relative) =>
        Exclusions.Any(p => FileSystemName.MatchesSimpleExpression(p, relative, ignoreCase: false));

    private sealed record StackRecord(string Fingerprint, string Digest, long Size, string File);
}
