using System.Collections.Concurrent;
using Tmds.Linux;
using Platform.Sandbox.Native;
using Platform.Sandbox.Runtime;

namespace Platform.Sandbox.Monitor;

/// <summary>
/// Tells when a watched process ends, whoever its parent is: one pidfd per process (Linux 5.3+) in one epoll set,
/// waited on by one thread for the whole process. The sandbox watches each container's monitor with it, so a
/// container's end is noticed the moment its monitor exits (right after writing the exit file) rather than at the
/// next poll, and idle containers need only a slow poll. Where pidfds are not available it is simply absent and
/// the polls do the work.
/// </summary>
internal sealed class ProcessExitNotifier
{
    private static readonly Lazy<ProcessExitNotifier?> SharedInstance = new(TryCreate);

    /// <summary>The process's notifier, or null where this kernel has no pidfd_open or epoll.</summary>
    public static ProcessExitNotifier? Shared => SharedInstance.Value;

    // Tmds.LibC's epoll_event has the architecture's layout (packed on x86-64, naturally aligned elsewhere).
    private const int BatchSize = 64;

    private readonly int _epoll;
    private readonly ConcurrentDictionary<int, Action> _onExit = new(); // by pidfd

    private ProcessExitNotifier(int epoll)
    {
        _epoll = epoll;
        new Thread(Run, 256 * 1024) { IsBackground = true, Name = "process exits" }.Start();
    }

    private static ProcessExitNotifier? TryCreate()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var probe = Libc.PidfdOpen(Environment.ProcessId);
            if (probe < 0) return null; // ENOSYS: a kernel before 5.3
            Libc.Close(probe);
            var epoll = Libc.EpollCreate1(Libc.EPOLL_CLOEXEC);
            return epoll < 0 ? null : new ProcessExitNotifier(epoll);
        }
        catch (EntryPointNotFoundException) { return null; }
    }

    /// <summary>
    /// Calls <paramref name="onExit"/> once when the process ends (on the notifier's thread: keep it short), or at
    /// once when it is already gone. <paramref name="startTime"/> guards against a reused pid. False when the
    /// process could not be watched (then nothing is called).
    /// </summary>
    public unsafe bool Watch(int pid, ulong? startTime, Action onExit)
    {
        var fd = Libc.PidfdOpen(pid);
        if (fd < 0)
        {
            if (Libc.LastError != Libc.ESRCH) return false; // ESRCH: already gone
            onExit();
            return true;
        }
        // Checked after opening: the pidfd now pins this pid, so a matching start time means it is the same process.
        if (!ProcessExit.IsAlive(pid, startTime))
        {
            Libc.Close(fd);
            onExit();
            return true;
        }
        _onExit[fd] = onExit;
        var ev = new epoll_event { events = (int)Libc.EPOLLIN };
        ev.data.fd = fd;
        if (Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_ADD, fd, &ev) != 0)
        {
            _onExit.TryRemove(fd, out _);
            Libc.Close(fd);
            return false;
        }
        return true;
    }

    private unsafe void Run()
    {
        var events = new epoll_event[BatchSize];
        while (true)
        {
            int n;
            fixed (epoll_event* buffer = events) n = Libc.EpollWait(_epoll, buffer, BatchSize, -1);
            if (n < 0)
            {
                if (Libc.LastError == Libc.EINTR) continue;
                return; // the epoll set is unusable: the polls carry on alone
            }
            for (var i = 0; i < n; i++)
            {
                var fd = events[i].data.fd;
                // Taken out before the fd is closed: once closed, Watch may get the same number for another process.
                _onExit.TryRemove(fd, out var onExit);
                fixed (epoll_event* buffer = events) Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_DEL, fd, buffer);
                Libc.Close(fd);
                if (onExit is null) continue;
                try { onExit(); }
                catch (Exception) { /* a watcher's failure must not stop the others' notifications */ }
            }
        }
    }
}
