using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Platform.Sandbox.Seccomp;

/// <summary>
/// The default seccomp filter of every container, as the OCI spec's linux.seccomp: an allowlist. Any system call
/// not named here fails with EPERM. The list is the calls ordinary programs make (files, sockets, processes,
/// threads, timers, signals, memory, IPC inside the container's own namespace); left out are the calls that reach
/// the kernel's global state or another process's memory: mount and the new mount API, namespaces (unshare,
/// setns, clone with namespace flags), modules, kexec, reboot, swap, the clock, hostname, keyrings, bpf, perf,
/// ptrace and process_vm_*, userfaultfd, io_uring, quotactl, file handles (open_by_handle_at), NUMA policy,
/// personality changes other than the harmless ones, AF_VSOCK sockets. Most of these also need a capability a
/// container never has; the filter is the second wall, and it shrinks the kernel surface a bug could be reached
/// through. Stricter than Docker's default in one place: ptrace, process_vm_readv/writev and pidfd_getfd are
/// refused even between the app's own processes (no debugger attaches in an instance).
/// </summary>
public static class SeccompProfile
{
    public const int EPERM = 1;
    public const int ENOSYS = 38;

    /// <summary>CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET: clone with any of them is refused.</summary>
    public const ulong CloneNamespaceFlags = 0x7E020000;

    /// <summary>AF_VSOCK: sockets to the hypervisor.</summary>
    public const ulong AddressFamilyVsock = 40;

    /// <summary>personality() values a program may set: PER_LINUX, PER_LINUX32 (with and without UNAME26), and the query.</summary>
    public static readonly IReadOnlyList<ulong> AllowedPersonalities = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

    /// <summary>System calls allowed with any arguments. Names unknown to the runtime's libseccomp are skipped by it.</summary>
    public static readonly IReadOnlyList<string> AllowedSyscalls =
    [
        // files and directories
        "access", "faccessat", "faccessat2", "chdir", "fchdir", "getcwd", "chmod", "fchmod", "fchmodat", "fchmodat2",
        "chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32", "close", "close_range", "creat",
        "open", "openat", "openat2", "read", "readv", "pread64", "preadv", "preadv2", "write", "writev", "pwrite64",
        "pwritev", "pwritev2", "lseek", "_llseek", "dup", "dup2", "dup3", "fcntl", "fcntl64", "flock", "fsync",
        "fdatasync", "sync", "syncfs", "sync_file_range", "sync_file_range2", "arm_sync_file_range", "truncate",
        "truncate64", "ftruncate", "ftruncate64", "fallocate", "fadvise64", "fadvise64_64", "arm_fadvise64_64",
        "readahead", "getdents", "getdents64", "mkdir", "mkdirat", "rmdir", "rename", "renameat", "renameat2", "link",
        "linkat", "unlink", "unlinkat", "symlink", "symlinkat", "readlink", "readlinkat", "mknod", "mknodat", "stat",
        "stat64", "lstat", "lstat64", "fstat", "fstat64", "fstatat64", "newfstatat", "statx", "statfs", "statfs64",
        "fstatfs", "fstatfs64", "umask", "utime", "utimes", "utimensat", "utimensat_time64", "futimesat",
        "getxattr", "lgetxattr", "fgetxattr", "setxattr", "lsetxattr", "fsetxattr", "listxattr", "llistxattr",
        "flistxattr", "removexattr", "lremovexattr", "fremovexattr", "copy_file_range", "sendfile", "sendfile64",
        "splice", "tee", "vmsplice", "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
        "fanotify_mark", "ioctl", "pipe", "pipe2", "memfd_create", "cachestat",
        // asynchronous I/O (not io_uring)
        "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
        "ioprio_get", "ioprio_set",
        // polling and events
        "select", "_newselect", "pselect6", "pselect6_time64", "poll", "ppoll", "ppoll_time64", "epoll_create",
        "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_wait", "epoll_wait_old", "epoll_pwait", "epoll_pwait2",
        "eventfd", "eventfd2", "signalfd", "signalfd4", "timerfd_create", "timerfd_settime", "timerfd_settime64",
        "timerfd_gettime", "timerfd_gettime64",
        // sockets (socket itself is allowed below for every family but AF_VSOCK)
        "socketpair", "socketcall", "bind", "connect", "listen", "accept", "accept4", "getsockname", "getpeername",
        "getsockopt", "setsockopt", "send", "sendto", "sendmsg", "sendmmsg", "recv", "recvfrom", "recvmsg", "recvmmsg",
        "recvmmsg_time64", "shutdown",
        // processes, threads, credentials (inside the user the container runs as: no capability to switch)
        "execve", "execveat", "fork", "vfork", "exit", "exit_group", "wait4", "waitid", "waitpid", "kill", "tkill",
        "tgkill", "getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid", "getuid",
        "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid", "getegid32", "getresuid", "getresuid32",
        "getresgid", "getresgid32", "getgroups", "getgroups32", "setuid", "setuid32", "setgid", "setgid32", "setreuid",
        "setreuid32", "setregid", "setregid32", "setresuid", "setresuid32", "setresgid", "setresgid32", "setgroups",
        "setgroups32", "setfsuid", "setfsuid32", "setfsgid", "setfsgid32", "capget", "capset", "prctl", "arch_prctl",
        "getpriority", "setpriority", "getrlimit", "ugetrlimit", "setrlimit", "prlimit64", "getrusage", "times",
        "set_tid_address", "set_robust_list", "get_robust_list", "futex", "futex_time64", "futex_waitv", "futex_wake",
        "futex_wait", "futex_requeue", "rseq", "set_thread_area", "get_thread_area", "membarrier", "seccomp",
        "pidfd_open", "pidfd_send_signal", "restart_syscall", "getcpu", "uname", "sysinfo", "getrandom",
        "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
        // scheduling
        "sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam", "sched_setparam",
        "sched_getscheduler", "sched_setscheduler", "sched_getattr", "sched_setattr", "sched_get_priority_max",
        "sched_get_priority_min", "sched_rr_get_interval", "sched_rr_get_interval_time64",
        // signals
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend", "rt_sigtimedwait",
        "rt_sigtimedwait_time64", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "sigreturn", "sigprocmask",
        "pause", "alarm",
        // time (reading it, sleeping, timers; setting the clock is left out)
        "time", "gettimeofday", "clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64",
        "clock_nanosleep", "clock_nanosleep_time64", "nanosleep", "getitimer", "setitimer", "timer_create",
        "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
        // memory
        "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync", "mlock", "mlock2",
        "mlockall", "munlock", "munlockall", "remap_file_pages", "pkey_alloc", "pkey_free", "pkey_mprotect",
        "map_shadow_stack", "process_mrelease",
        // System V and POSIX IPC (the container has its own ipc namespace)
        "ipc", "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semctl", "semtimedop", "semtimedop_time64",
        "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedsend_time64",
        "mq_timedreceive", "mq_timedreceive_time64", "mq_notify", "mq_getsetattr",
        // arm's own
        "breakpoint", "cacheflush", "set_tls",
    ];

    /// <summary>Calls that are neither allowed nor quietly refused: they fail with ENOSYS so libc falls back (clone3 -> clone).</summary>
    public static readonly IReadOnlyList<string> UnsupportedSyscalls = ["clone3"];

    /// <summary>The linux.seccomp object of an OCI runtime spec.</summary>
    public static JsonObject Build()
    {
        var syscalls = new JsonArray
        {
            new JsonObject { ["names"] = Names(AllowedSyscalls), ["action"] = "SCMP_ACT_ALLOW" },
            new JsonObject
            {
                ["names"] = Names(["socket"]),
                ["action"] = "SCMP_ACT_ALLOW",
                ["args"] = new JsonArray { Arg(0, AddressFamilyVsock, "SCMP_CMP_NE") },
            },
            new JsonObject
            {
                ["names"] = Names(["clone"]),
                ["action"] = "SCMP_ACT_ALLOW",
                // flags & namespace-flags == 0. (clone's flags are the first argument everywhere but s390x.)
                ["args"] = new JsonArray { Arg(0, CloneNamespaceFlags, "SCMP_CMP_MASKED_EQ", 0) },
            },
            new JsonObject { ["names"] = Names(UnsupportedSyscalls), ["action"] = "SCMP_ACT_ERRNO", ["errnoRet"] = ENOSYS },
        };
        // One rule per value: the arguments of one rule are ANDed, separate rules are ORed.
        foreach (var persona in AllowedPersonalities)
            syscalls.Add(new JsonObject
            {
                ["names"] = Names(["personality"]),
                ["action"] = "SCMP_ACT_ALLOW",
                ["args"] = new JsonArray { Arg(0, persona, "SCMP_CMP_EQ") },
            });

        return new JsonObject
        {
            ["defaultAction"] = "SCMP_ACT_ERRNO",
            ["defaultErrnoRet"] = EPERM,
            ["architectures"] = Names(Architectures()),
            ["syscalls"] = syscalls,
        };
    }

    /// <summary>
    /// Only the host's native ABI. A system call made through a compatible one (i386's int 0x80 or x32 on x86_64,
    /// 32-bit ARM on arm64) matches no filter and kills the caller with SIGSYS: apps are 64-bit, and the compat
    /// entry points are old attack surface. It also makes every start cheaper: the runtime compiles one filter, not
    /// three (measured: runc run -d of the instance bundle 119 -> 83 ms, crun 104 -> 76 ms, the same as without any
    /// filter, on this loaded 2-core VM).
    /// </summary>
    public static IReadOnlyList<string> Architectures() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => ["SCMP_ARCH_X86_64"],
        Architecture.Arm64 => ["SCMP_ARCH_AARCH64"],
        Architecture.X86 => ["SCMP_ARCH_X86"],
        Architecture.Arm => ["SCMP_ARCH_ARM"],
        Architecture.S390x => ["SCMP_ARCH_S390X"],
        Architecture.Ppc64le => ["SCMP_ARCH_PPC64LE"],
        Architecture.RiscV64 => ["SCMP_ARCH_RISCV64"],
        var other => throw new PlatformNotSupportedException($"no seccomp architecture list for {other}"),
    };

    private static JsonArray Names(IEnumerable<string> names) => new(names.Select(n => (JsonNode)n!).ToArray());

    private static JsonObject Arg(int index, ulong value, string op, ulong? valueTwo = null)
    {
        var arg = new JsonObject { ["index"] = index, ["value"] = value, ["op"] = op };
        if (valueTwo is { } two) arg["valueTwo"] = two;
        return arg;
    }
}
