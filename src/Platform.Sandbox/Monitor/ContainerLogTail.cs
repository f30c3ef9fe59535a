using System.Text;
using Microsoft.Extensions.Logging;

namespace Platform.Sandbox.Monitor;

/// <summary>
/// Follows a container's log file as conmon writes it ("k8s-file": one record per line,
/// <c>TIMESTAMP stdout|stderr F|P TEXT</c>, P for a piece of a longer line, F for its end), delivering each whole
/// line with the cursor just past it. Starts at a saved cursor, so a restarted reader neither repeats nor skips.
/// When conmon starts the file afresh (it does once the file reaches --log-size-max) the reader finishes the old
/// file, then follows the new one from its start. Ends when the container has exited and the file is read to the end.
/// </summary>
internal static class ContainerLogTail
{
    private static readonly TimeSpan FastPoll = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan SlowPoll = TimeSpan.FromMilliseconds(250);

    public static async Task RunAsync(string path, LogCursor from, PositionedOutputHandler output, Func<bool> exited,
        WatchPace pace, TimeProvider time, ILogger logger, string id, CancellationToken cancellationToken)
    {
        await Task.Yield();
        FileStream? file = null;
        ulong inode = 0;
        long position = 0;
        var first = true;
        var carry = new MemoryStream();
        var pieces = new Dictionary<string, StringBuilder>(StringComparer.Ordinal);
        // Rented per read, not held: an idle container's reader keeps no buffer between its polls.
        const int bufferSize = 16 * 1024;
        var delay = FastPoll;
        try
        {
            while (true)
            {
                // Looked at before reading: once it is true, a read that finds nothing new is the last one.
                var wasExited = exited();
                if (file is null)
                {
                    if (TryOpen(path, out file, out inode))
                    {
                        position = first && inode == from.Inode ? Math.Min(from.Offset, file!.Length) : 0;
                        first = false;
                        carry.SetLength(0);
                        pieces.Clear();
                    }
                    else if (wasExited) return;
                }

                var readAny = false;
                // An idle container's poll is one statx: read only when the file grew or was replaced.
                if (file is not null && !(Native.Libc.Statx(Native.Libc.AT_FDCWD, path, 0, Native.Libc.STATX_BASIC_STATS, out var now) == 0
                                          && now.Inode == inode && (long)now.Size <= position + carry.Length))
                {
                    file.Position = position + carry.Length;
                    int n;
                    var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(bufferSize);
                    try
                    {
                        while ((n = await file.ReadAsync(buffer.AsMemory(0, bufferSize), cancellationToken)) > 0)
                        {
                            readAny = true;
                            var start = 0;
                            for (var i = 0; i < n; i++)
                            {
                                if (buffer[i] != (byte)'\n') continue;
                                carry.Write(buffer, start, i - start);
                                var recordLength = carry.Length + 1;
                                Deliver(carry.GetBuffer().AsSpan(0, (int)carry.Length), pieces, output,
                                    new LogCursor(inode, position + recordLength), logger, id);
                                position += recordLength;
                                carry.SetLength(0);
                                start = i + 1;
                            }
                            carry.Write(buffer, start, n - start);
                        }
                    }
                    finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }

                    // A file started afresh: the old one is read to its end now, follow the new one from its start.
                    if (!readAny && TryInode(path) is { } current && current != inode)
                    {
                        await file.DisposeAsync();
                        file = null;
                        continue;
                    }
                }

                if (!readAny && wasExited) return;
                delay = readAny ? FastPoll : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, SlowPoll.Ticks));
                await pace.WaitAsync(delay, time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
        finally
        {
            if (file is not null) await file.DisposeAsync();
        }
    }

    private static void Deliver(ReadOnlySpan<byte> record, Dictionary<string, StringBuilder> pieces,
        PositionedOutputHandler output, LogCursor cursor, ILogger logger, string id)
    {
        var text = Encoding.UTF8.GetString(record);
        // TIMESTAMP STREAM TAG TEXT (TEXT may be empty and may contain spaces)
        var s1 = text.IndexOf(' ');
        var s2 = s1 < 0 ? -1 : text.IndexOf(' ', s1 + 1);
        if (s2 < 0) return;
        var s3 = text.IndexOf(' ', s2 + 1);
        var stream = text[(s1 + 1)..s2] == "stderr" ? "ERR" : "OUT";
        var tag = s3 < 0 ? text[(s2 + 1)..] : text[(s2 + 1)..s3];
        var body = s3 < 0 ? "" : text[(s3 + 1)..];
        if (tag.StartsWith('P'))
        {
            if (!pieces.TryGetValue(stream, out var sb)) pieces[stream] = sb = new StringBuilder();
            sb.Append(body);
            return;
        }
        if (pieces.TryGetValue(stream, out var partial) && partial.Length > 0)
        {
            body = partial.Append(body).ToString();
            partial.Clear();
        }
        try { output(new OutputLine(stream, body, cursor)); }
        catch (Exception ex) { logger.LogWarning(ex, "Output handler of container {Id} threw", id); }
    }

    private static bool TryOpen(string path, out FileStream? file, out ulong inode)
    {
        file = null;
        inode = 0;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous);
            // The inode of what we opened (fstat through /proc/self/fd: the path may be replaced meanwhile).
            inode = TryInode($"/proc/self/fd/{file.SafeFileHandle.DangerousGetHandle()}", follow: true) ?? 0;
            return true;
        }
        catch (FileNotFoundException) { return false; }
        catch (DirectoryNotFoundException) { return false; }
    }

    /// <summary>The inode of the file at <paramref name="path"/>, or null when there is none.</summary>
    public static ulong? TryInode(string path, bool follow = true) =>
        Native.Libc.Statx(Native.Libc.AT_FDCWD, path, follow ? 0 : Native.Libc.AT_SYMLINK_NOFOLLOW,
            Native.Libc.STATX_BASIC_STATS, out var buffer) == 0 ? buffer.Inode : null;
}
