using System.Text.Json;

namespace Platform.Staging;

/// <summary>Small JSON records written whole or not at all (temp file + rename), read back leniently.</summary>
internal static class AtomicFile
{
    public static async Task WriteJsonAsync<T>(string path, T value, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(value), cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The record, or default when the file is missing or unreadable (then it is simply rebuilt).</summary>
    public static async Task<T?> ReadJsonAsync<T>(string path, CancellationToken cancellationToken)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(await File.ReadAllTextAsync(path, cancellationToken));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            return default;
        }
    }
}
