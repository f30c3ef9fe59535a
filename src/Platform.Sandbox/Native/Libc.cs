using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;
using L = Tmds.Linux.LibC;

namespace Platform.Sandbox.Native;

/// <summary>
/// The libc calls the sandbox needs that .NET does not expose (mounts, device nodes, xattrs, hard links, epoll,
/// pidfds, waiting for a reparented child). They go through Tmds.LibC's bindings; the few it lacks are declared here
/// with <see cref="LibraryImportAttribute"/>, each saying so. Every call leaves its errno where
/// <see cref="LastError"/> reads it (Marshal's last P/Invoke error), whichever way it was made, so callers need not
/// know which is which.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    // Constants, not Tmds.LibC's properties, where switch labels need them: errno values and file types are fixed by
    // the kernel's ABI (a unit test checks them against Tmds.LibC's).
    public const int EINTR = 4;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int ECHILD = 10;
    public const int EEXIST = 17;
    public const int EINVAL = 22;
    public const int EBUSY = 16;

    public static readonly int MNT_DETACH = L.MNT_DETACH;
    /// <summary>prctl's option number (linux/prctl.h): Tmds.LibC has neither prctl nor its constants.</summary>
    public const int PR_SET_CHILD_SUBREAPER = 36;
    /// <summary>waitpid's flag (sys/wait.h): Tmds.LibC has no waitpid.</summary>
    public const int WNOHANG = 1;
    public static readonly int AT_FDCWD = L.AT_FDCWD;
    public static readonly int AT_SYMLINK_NOFOLLOW = L.AT_SYMLINK_NOFOLLOW;
    public static readonly uint STATX_BASIC_STATS = L.STATX_BASIC_STATS;

    public const uint S_IFMT = 0xF000;
    public const uint S_IFIFO = 0x1000;
    public const uint S_IFCHR = 0x2000;
    public const uint S_IFDIR = 0x4000;
    public const uint S_IFBLK = 0x6000;
    public const uint S_IFREG = 0x8000;
    public const uint S_IFLNK = 0xA000;
    public const uint S_IFSOCK = 0xC000;

    public static readonly int EPOLL_CLOEXEC = L.EPOLL_CLOEXEC;
    public static readonly int EPOLL_CTL_ADD = L.EPOLL_CTL_ADD;
    public static readonly int EPOLL_CTL_DEL = L.EPOLL_CTL_DEL;
    public static readonly uint EPOLLIN = (uint)L.EPOLLIN;

    /// <summary>Tmds.LibC reads errno itself: keep it where <see cref="LastError"/> looks, before anything else runs.</summary>
    private static int Keep(int result)
    {
        if (result < 0) Marshal.SetLastPInvokeError(L.errno);
        return result;
    }

    /// <summary>A NUL-terminated UTF-8 copy of a path, for the byte* parameters of Tmds.LibC.</summary>
    private static byte[] Z(string s) => Encoding.UTF8.GetBytes(s + "\0");

    public static int Mount(string source, string target, string fileSystemType, ulong flags, string? data)
    {
        fixed (byte* s = Z(source)) fixed (byte* t = Z(target)) fixed (byte* f = Z(fileSystemType)) fixed (byte* d = data is null ? null : Z(data))
            return Keep(L.mount(s, t, f, (ulong_t)flags, d));
    }

    public static int Umount2(string target, int flags)
    {
        fixed (byte* t = Z(target)) return Keep(L.umount2(t, flags));
    }

    /// <summary>prctl(2): not in Tmds.LibC 0.5.0.</summary>
    [LibraryImport(Lib, EntryPoint = "prctl", SetLastError = true)]
    public static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    /// <summary>waitpid(2): not in Tmds.LibC 0.5.0 (it has no wait family at all).</summary>
    [LibraryImport(Lib, EntryPoint = "waitpid", SetLastError = true)]
    public static partial int WaitPid(int pid, out int status, int options);

    public static int Kill(int pid, int signal) => Keep(L.kill(pid, signal));

    /// <summary>
    /// pidfd_open(2) (Linux 5.3): a descriptor that becomes readable when the process ends. Tmds.LibC 0.5.0 has the
    /// raw syscall but neither a wrapper nor SYS_pidfd_open, which is 434 on every architecture (it was added after
    /// the syscall tables were unified).
    /// </summary>
    public static int PidfdOpen(int pid) => Keep((int)L.syscall(SYS_pidfd_open, pid, 0));
    private const int SYS_pidfd_open = 434;

    public static int EpollCreate1(int flags) => Keep(L.epoll_create1(flags));

    /// <summary>epoll_ctl(2) with Tmds.LibC's epoll_event, whose layout follows the architecture (packed on x86-64).</summary>
    public static int EpollCtl(int epfd, int op, int fd, epoll_event* ev) => Keep(L.epoll_ctl(epfd, op, fd, ev));

    public static int EpollWait(int epfd, epoll_event* events, int maxEvents, int timeout) =>
        Keep(L.epoll_wait(epfd, events, maxEvents, timeout));

    public static int Close(int fd) => Keep(L.close(fd));

    public static int Mknod(string path, uint mode, ulong device)
    {
        fixed (byte* p = Z(path)) return Keep(L.mknod(p, (mode_t)(ushort)mode, (dev_t)device));
    }

    public static int Lchown(string path, uint uid, uint gid)
    {
        fixed (byte* p = Z(path)) return Keep(L.lchown(p, (uid_t)uid, (gid_t)gid));
    }

    public static int Chmod(string path, uint mode)
    {
        fixed (byte* p = Z(path)) return Keep(L.chmod(p, (mode_t)(ushort)mode));
    }

    public static int Link(string existingPath, string newPath)
    {
        fixed (byte* e = Z(existingPath)) fixed (byte* n = Z(newPath)) return Keep(L.link(e, n));
    }

    public static int Symlink(string target, string linkPath)
    {
        fixed (byte* t = Z(target)) fixed (byte* l = Z(linkPath)) return Keep(L.symlink(t, l));
    }

    /// <summary>lsetxattr(2): not in Tmds.LibC 0.5.0 (it has no xattr calls).</summary>
    [LibraryImport(Lib, EntryPoint = "lsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Lsetxattr(string path, string name, byte[] value, nuint size, int flags);

    /// <summary>lgetxattr(2): not in Tmds.LibC 0.5.0 (it has no xattr calls).</summary>
    [LibraryImport(Lib, EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint Lgetxattr(string path, string name, byte[] value, nuint size);

    public static int Statx(int dirFd, string path, int flags, uint mask, out StatxBuffer buffer)
    {
        statx st;
        int result;
        // Called on every log and exit poll of every container: the path goes on the stack, not the heap.
        var max = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        Span<byte> bytes = max <= 1024 ? stackalloc byte[max] : new byte[max];
        bytes[Encoding.UTF8.GetBytes(path, bytes)] = 0;
        fixed (byte* p = bytes) result = Keep(L.statx(dirFd, p, flags, mask, &st));
        buffer = new StatxBuffer(st);
        return result;
    }

    /// <summary>glibc's makedev.</summary>
    public static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) |
        ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    public static int LastError => Marshal.GetLastPInvokeError();

    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>Throws an IOException naming the call and path for the last error.</summary>
    public static IOException Failure(string call, string path)
    {
        var errno = LastError;
        return new IOException($"{call} {path}: {ErrorText(errno)} (errno {errno})", errno);
    }

    /// <summary>lstat via statx: the struct layout of statx is the same on every architecture.</summary>
    public static bool TryLstat(string path, out StatxBuffer buffer) =>
        Statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out buffer) == 0;
}

/// <summary>What the sandbox reads of a struct statx (Tmds.LibC's).</summary>
internal readonly struct StatxBuffer(statx st)
{
    public uint NLink => st.stx_nlink;
    public uint Uid => st.stx_uid;
    public uint Gid => st.stx_gid;
    public ushort Mode => st.stx_mode;
    public ulong Inode => st.stx_ino;
    public ulong Size => st.stx_size;
    public long MtimeSeconds => st.stx_mtime.tv_sec;
    public uint RdevMajor => st.stx_rdev_major;
    public uint RdevMinor => st.stx_rdev_minor;
    public uint DevMajor => st.stx_dev_major;
    public uint DevMinor => st.stx_dev_minor;

    public uint FileType => Mode & Libc.S_IFMT;
    public uint Permissions => Mode & 0xFFFu;
}
