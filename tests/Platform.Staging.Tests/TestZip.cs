using System.IO.Compression;
using System.Text;

namespace Platform.Staging.Tests;

/// <summary>Builds zip packages the way zip(1) writes them on Unix: modes in the external attributes.</summary>
public sealed class TestZip
{
    private readonly List<(string Name, byte[] Content, int Mode)> _entries = [];

    public TestZip File(string name, string content, int mode = 0x81A4 /* regular 0644 */)
    {
        _entries.Add((name, Encoding.UTF8.GetBytes(content), mode));
        return this;
    }

    public TestZip Executable(string name, string content) => File(name, content, 0x81ED /* regular 0755 */);

    public TestZip Directory(string name) => File(name.TrimEnd('/') + "/", "", 0x41ED /* dir 0755 */);

    public TestZip Symlink(string name, string target) => File(name, target, 0xA1FF /* link 0777 */);

    public void WriteTo(string path)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, content, mode) in _entries)
        {
            var entry = zip.CreateEntry(name, CompressionLevel.Fastest);
            entry.ExternalAttributes = mode << 16;
            using var s = entry.Open();
            s.Write(content);
        }
    }

    /// <summary>A zip of every file under a directory, modes kept.</summary>
    public static TestZip Of(string directory)
    {
        var zip = new TestZip();
        foreach (var file in System.IO.Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var mode = 0x8000 | (int)System.IO.File.GetUnixFileMode(file);
            zip.File(Path.GetRelativePath(directory, file), System.IO.File.ReadAllText(file), mode);
        }
        return zip;
    }
}

/// <summary>A temporary directory removed on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Directory.CreateTempSubdirectory("platform-staging-test-").FullName;

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
