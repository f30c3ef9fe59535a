namespace Platform.Staging.Dependencies;

/// <summary>
/// A Debian package extracted under /layers/&lt;name&gt;/ rather than at / keeps its absolute symlinks, which then
/// point at paths the droplet does not have: OpenJDK's <c>lib/jvm.cfg</c> links to <c>/etc/java-17-openjdk/...</c>,
/// a file the same package ships, now at <c>/layers/jre/etc/java-17-openjdk/...</c>. Each absolute link whose
/// target the package itself ships is rewritten as a relative link to that file inside the layer; links to
/// files the package does not ship (e.g. /etc/ssl/certs/java/cacerts, made by another package's postinst) are
/// left as they are.
/// </summary>
public static class AbsoluteLinkRelocator
{
    /// <summary>Rewrites the links under <paramref name="root"/> (the package's "/"); returns how many.</summary>
    public static int Relocate(string root)
    {
        var rootFull = Path.GetFullPath(root);
        var count = 0;
        foreach (var path in Directory.EnumerateFileSystemEntries(rootFull, "*", new EnumerationOptions
                 {
                     RecurseSubdirectories = true,
                     AttributesToSkip = 0, // hidden files too; linked directories are not walked into
                 }))
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is not { } target || !target.StartsWith('/')) continue;
            var inside = Path.GetFullPath(Path.Combine(rootFull, target.TrimStart('/')));
            if (!inside.StartsWith(rootFull + "/", StringComparison.Ordinal)) continue;
            if (!File.Exists(inside) && !Directory.Exists(inside) && new FileInfo(inside).LinkTarget is null) continue;
            var relative = Path.GetRelativePath(Path.GetDirectoryName(path)!, inside);
            File.Delete(path);
            File.CreateSymbolicLink(path, relative);
            count++;
        }
        return count;
    }
}
