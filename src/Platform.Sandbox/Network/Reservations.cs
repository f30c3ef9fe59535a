namespace Platform.Sandbox.Network;

/// <summary>
/// Addresses or ports handed to containers, one file per value holding the owner's id. Creating the file with
/// O_EXCL makes a reservation atomic (also across processes), and the files make allocations survive a restart.
/// </summary>
internal sealed class Reservations(string directory, long first, long last)
{
    private long _cursor = -1;
    private readonly object _gate = new();

    /// <summary>Reserves the next free value for the owner, starting after the last one handed out.</summary>
    public long Reserve(string owner)
    {
        Directory.CreateDirectory(directory);
        var count = last - first + 1;
        long start;
        lock (_gate) start = _cursor < 0 ? first : _cursor;
        for (long i = 0; i < count; i++)
        {
            var value = first + (start - first + i) % count;
            try
            {
                using (var f = new FileStream(Path.Combine(directory, value.ToString()), FileMode.CreateNew, FileAccess.Write))
                    f.Write(System.Text.Encoding.UTF8.GetBytes(owner));
                // Hand out values round-robin so a just-released address or port is not reused at once.
                lock (_gate) _cursor = value + 1 > last ? first : value + 1;
                return value;
            }
            catch (IOException) when (File.Exists(Path.Combine(directory, value.ToString())))
            {
                // taken: try the next
            }
        }
        throw new SandboxException($"no free value left in {first}..{last} ({directory})");
    }

    /// <summary>Releases the values (those <see cref="HeldBy"/> gave for an owner).</summary>
    public void Release(IEnumerable<long> values)
    {
        foreach (var value in values) File.Delete(Path.Combine(directory, value.ToString()));
    }

    public IEnumerable<long> HeldBy(string owner)
    {
        if (!Directory.Exists(directory)) yield break;
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            string content;
            try { content = File.ReadAllText(file); }
            catch (FileNotFoundException) { continue; }
            if (content == owner && long.TryParse(Path.GetFileName(file), out var v)) yield return v;
        }
    }
}
