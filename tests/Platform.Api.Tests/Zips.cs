using System.IO.Compression;
using System.Text;

namespace Platform.Api.Tests;

/// <summary>Builds small zip archives in memory, including entries no well-behaved zipper would write.</summary>
public static class Zips
{
    public static byte[] Make(params (string Name, string Content)[] files) => Make(files, []);

    public static byte[] Make((string Name, string Content)[] files, (string Name, string Target)[] symlinks)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                var e = zip.CreateEntry(name);
                e.ExternalAttributes = (0x81A4 << 16); // regular file, 0644
                using var s = e.Open();
                s.Write(Encoding.UTF8.GetBytes(content));
            }
            foreach (var (name, target) in symlinks)
            {
                var e = zip.CreateEntry(name);
                e.ExternalAttributes = unchecked((int)(0xA1FFu << 16)); // symlink, 0777
                using var s = e.Open();
                s.Write(Encoding.UTF8.GetBytes(target));
            }
        }
        return ms.ToArray();
    }
}
