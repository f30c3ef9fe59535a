using Platform.Sandbox.Native;
using L = Tmds.Linux.LibC;

namespace Platform.Sandbox.Tests;

/// <summary>The libc façade: its constants (kept as constants for switch labels) are Tmds.LibC's, and errno reaches LastError.</summary>
public sealed class LibcTests
{
    [Fact]
    public void Its_constants_are_tmds_libcs()
    {
        Assert.Equal(Libc.EINTR, L.EINTR);
        Assert.Equal(Libc.ENOENT, L.ENOENT);
        Assert.Equal(Libc.ESRCH, L.ESRCH);
        Assert.Equal(Libc.ECHILD, L.ECHILD);
        Assert.Equal(Libc.EEXIST, L.EEXIST);
        Assert.Equal(Libc.EINVAL, L.EINVAL);
        Assert.Equal(Libc.EBUSY, L.EBUSY);
        Assert.Equal(Libc.S_IFMT, (ushort)L.S_IFMT);
        Assert.Equal(Libc.S_IFIFO, (ushort)L.S_IFIFO);
        Assert.Equal(Libc.S_IFCHR, (ushort)L.S_IFCHR);
        Assert.Equal(Libc.S_IFDIR, (ushort)L.S_IFDIR);
        Assert.Equal(Libc.S_IFBLK, (ushort)L.S_IFBLK);
        Assert.Equal(Libc.S_IFREG, (ushort)L.S_IFREG);
        Assert.Equal(Libc.S_IFLNK, (ushort)L.S_IFLNK);
        Assert.Equal(Libc.S_IFSOCK, (ushort)L.S_IFSOCK);
    }

    [Fact]
    public void A_failed_call_leaves_its_errno_for_LastError()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid().ToString("N"));
        Assert.False(Libc.TryLstat(missing, out _));
        Assert.Equal(Libc.ENOENT, Libc.LastError);
        Assert.Equal(-1, Libc.Kill(int.MaxValue, 0));
        Assert.Equal(Libc.ESRCH, Libc.LastError);
        Assert.True(Libc.TryLstat("/proc/self", out var st));
        Assert.Equal(Libc.S_IFLNK, st.FileType);
    }

    [Fact]
    public void A_pidfd_can_be_opened_for_this_process()
    {
        var fd = Libc.PidfdOpen(Environment.ProcessId);
        Assert.True(fd >= 0, $"pidfd_open: errno {Libc.LastError}");
        Assert.Equal(0, Libc.Close(fd));
    }
}

public sealed class ProcessStatTests
{
    [Fact]
    public void The_start_time_and_liveness_are_read_from_proc_stat()
    {
        var stat = File.ReadAllText($"/proc/{Environment.ProcessId}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        Assert.Equal(ulong.Parse(fields[19]), Platform.Sandbox.Runtime.ProcessExit.StartTime(Environment.ProcessId));
        Assert.True(Platform.Sandbox.Runtime.ProcessExit.IsAlive(Environment.ProcessId, ulong.Parse(fields[19])));
        Assert.False(Platform.Sandbox.Runtime.ProcessExit.IsAlive(Environment.ProcessId, ulong.Parse(fields[19]) + 1));
        Assert.Null(Platform.Sandbox.Runtime.ProcessExit.StartTime(int.MaxValue));
    }
}
