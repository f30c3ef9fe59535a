using Platform.Sandbox.Native;

namespace Platform.Sandbox.Runtime;

/// <summary>
/// Waits for a container's init process. The sandbox makes this process a child subreaper, so when the
/// runtime's detached `run` exits, the container's init becomes our child and waitpid gives its real status
/// (exit code or signal, which the runtime's own exit code cannot tell apart).
/// </summary>
internal static class ProcessExit
{
    private static int _subreaperSet;

    /// <summary>Makes this process the reaper of orphaned descendants (prctl PR_SET_CHILD_SUBREAPER).</summary>
    public static bool EnsureSubreaper()
    {
        if (Volatile.Read(ref _subreaperSet) == 1) return true;
        if (Libc.Prctl(Libc.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return false;
        Volatile.Write(ref _subreaperSet, 1);
        return true;
    }

    /// <summary>
    /// Completes with the raw wait status when <paramref name="pid"/> ends, or null when it is not our child
    /// (then it is polled through /proc and its status is unknown).
    /// </summary>
    public static Task<int?> WaitAsync(int pid, ulong? startTime)
    {
        var done = new TaskCompletionSource<int?>(TaskCreationOptions.RunContinuationsAsynchronously);
        // waitpid blocks: a small dedicated thread per container rather than a pool thread.
        var thread = new Thread(() =>
        {
            while (true)
            {
                var r = Libc.WaitPid(pid, out var status, 0);
                if (r == pid) { done.SetResult(status); return; }
                var errno = Libc.LastError;
                if (r == -1 && errno == Libc.EINTR) continue;
                break; // ECHILD: not our child
            }
            while (IsAlive(pid, startTime)) Thread.Sleep(100);
            done.SetResult(null);
        }, 256 * 1024)
        { IsBackground = true, Name = $"wait {pid}" };
        thread.Start();
        return done.Task;
    }

    public static ContainerExit Decode(int? status, bool oomKilled)
    {
        if (status is not { } s) return new ContainerExit(-1, null, oomKilled);
        var termSignal = s & 0x7f;
        return termSignal == 0
            ? new ContainerExit((s >> 8) & 0xff, null, oomKilled)
            : new ContainerExit(null, termSignal, oomKilled);
    }

    /// <summary>
    /// Waits until the process is gone (see <see cref="IsAlive"/>) or <paramref name="timeout"/> has passed; true when
    /// it is gone. Looks again after 1 ms, then ever less often up to every 20 ms: the processes waited for (a
    /// monitor after its container, an init after SIGKILL) mostly end within a few milliseconds.
    /// </summary>
    public static async Task<bool> UntilGoneAsync(int pid, ulong? startTime, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + timeout;
        var delay = TimeSpan.FromMilliseconds(1);
        while (IsAlive(pid, startTime))
        {
            if (time.GetUtcNow() >= deadline) return false;
            await Task.Delay(delay, time, cancellationToken);
            if (delay < TimeSpan.FromMilliseconds(20)) delay *= 2;
        }
        return true;
    }

    /// <summary>The process's start time (field 22 of /proc/PID/stat), or null when it does not exist.</summary>
    public static ulong? StartTime(int pid) =>
        Stat(pid) is { } stat && ulong.TryParse(stat.StartTime, out var t) ? t : null;

    /// <summary>True while the process exists, is not a zombie, and (when given) started at that time.</summary>
    public static bool IsAlive(int pid, ulong? startTime)
    {
        if (Stat(pid) is not { } stat || stat.State is 'Z' or 'X') return false;
        return startTime is null || (ulong.TryParse(stat.StartTime, out var t) && t == startTime);
    }

    /// <summary>
    /// The state and start time of /proc/PID/stat (the fields after the command name, which may hold spaces: the
    /// state is the first, the start time the twentieth). Called for every container's poll: no split of the line.
    /// </summary>
    private static (char State, string StartTime)? Stat(int pid)
    {
        string text;
        try { text = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; }
        var close = text.LastIndexOf(')');
        if (close < 0 || close + 2 >= text.Length) return null;
        var state = text[close + 2];
        var start = close + 2;
        for (var field = 0; field < 19; field++)
        {
            start = text.IndexOf(' ', start);
            if (start < 0) return null;
            start++;
        }
        var end = text.IndexOf(' ', start);
        return (state, end < 0 ? text[start..].TrimEnd() : text[start..end]);
    }
}
