using System.Runtime.InteropServices;
using System.Text;
using Platform.Sandbox.Native;

namespace Platform.Sandbox.Rootfs;

/// <summary>
/// Adds read-only layers to the rootfs of a container that is already running, as if they had been lower layers
/// from the start. The container's rootfs (the overlay on the host) is a shared mount and the container's view of
/// it a slave (<see cref="ContainerSpec.AcceptsLayersWhileRunning"/>), so a mount the host makes beneath it appears
/// inside the container. The layers are merged into what the container sees: wherever a layer has an entry the
/// container lacks, that entry is mounted there (a directory or file bind-mounted read-only; a directory that several
/// layers have, an overlay of theirs, or, when each of its entries comes from one layer, a directory made there
/// holding one mount per entry) or, for a symbolic link, created; directories both have are walked into; a file
/// the container has is shadowed by the layer's. Everything happens through directory descriptors opened without
/// following links, so nothing the container created (a symlink planted where a layer has a directory) can send a
/// mount outside its rootfs. Needs Linux 5.12 (open_tree, move_mount, fsopen, mount_setattr).
/// </summary>
internal static partial class LiveLayers
{
    /// <summary>Merges <paramref name="layers"/> (bottom first, as in a spec) into the rootfs at <paramref name="rootfs"/>.</summary>
    /// <returns>How many entries were mounted or linked.</returns>
    public static int Add(string rootfs, IReadOnlyList<string> layers)
    {
        foreach (var layer in layers)
        {
            if (!Path.IsPathFullyQualified(layer) || !Directory.Exists(layer))
                throw new ArgumentException($"layer directory does not exist or is not absolute: {layer}", nameof(layers));
            if (layer.Contains(':') || layer.Contains(','))
                throw new ArgumentException($"layer path may not contain ',' or ':' (overlay option syntax): {layer}", nameof(layers));
        }
        var root = OpenPath(Libc.AT_FDCWD, rootfs);
        try
        {
            return Merge(root, "", layers.Reverse().ToList());
        }
        finally
        {
            Libc.Close(root);
        }
    }

    /// <summary>
    /// Bind-mounts <paramref name="source"/> (a host directory or file) at <paramref name="destination"/> (absolute, inside
    /// the container) in the rootfs at <paramref name="rootfs"/>. Missing directories on the way are made (root's, 0755),
    /// the destination as an empty directory or file; a link on the way is an error, never followed.
    /// </summary>
    public static void Bind(string rootfs, string source, string destination, bool readOnly)
    {
        if (!destination.StartsWith('/') || destination.Split('/').Any(p => p is "." or ".."))
            throw new ArgumentException($"mount destination must be an absolute path without . or ..: {destination}", nameof(destination));
        var sourceKind = Kind(source);
        if (sourceKind is not (EntryKind.Directory or EntryKind.File))
            throw new ArgumentException($"mount source is not a directory or file: {source}", nameof(source));
        var parts = destination.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new ArgumentException("cannot mount over the container's root", nameof(destination));
        var dir = OpenPath(Libc.AT_FDCWD, rootfs);
        try
        {
            foreach (var part in parts[..^1])
            {
                if (KindAt(dir, part) == EntryKind.Missing && MkdirAt(dir, part, 0x1ED) != 0 && Libc.LastError != Libc.EEXIST)
                    throw Failure("mkdir", destination);
                var next = OpenPath(dir, part); // fails on a link: nothing the container planted is followed
                Libc.Close(dir);
                dir = next;
            }
            var name = parts[^1];
            var existing = KindAt(dir, name);
            if (existing == EntryKind.Missing)
            {
                if (sourceKind == EntryKind.Directory)
                {
                    if (MkdirAt(dir, name, 0x1ED) != 0) throw Failure("mkdir", destination);
                }
                else
                {
                    var fd = OpenAt(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0x1A4);
                    if (fd < 0) throw Failure("create", destination);
                    Libc.Close(fd);
                }
            }
            else if (existing != sourceKind)
            {
                throw new SandboxException($"cannot mount {source} at {destination}: it is a {Describe(existing)} in the container");
            }
            var tree = OpenTree(source);
            if (tree < 0) throw Failure("open_tree", source);
            try
            {
                SetAttributes(tree, source, readOnly);
                Attach(tree, dir, name, destination.TrimStart('/'));
            }
            finally
            {
                Libc.Close(tree);
            }
        }
        finally
        {
            Libc.Close(dir);
        }
    }

    /// <param name="dirFd">The container's directory at <paramref name="relative"/>, opened O_PATH without following links.</param>
    /// <param name="layersTopFirst">The layers, the one that wins first.</param>
    private static int Merge(int dirFd, string relative, IReadOnlyList<string> layersTopFirst)
    {
        var count = 0;
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var layer in layersTopFirst)
        {
            var dir = Path.Combine(layer, relative);
            if (Kind(dir) != EntryKind.Directory) continue;
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir, "*", new EnumerationOptions { AttributesToSkip = 0 }))
                names.Add(Path.GetFileName(entry));
        }
        foreach (var name in names)
        {
            var path = relative.Length == 0 ? name : relative + "/" + name;
            var providers = layersTopFirst
                .Select(l => (Layer: l, Kind: Kind(Path.Combine(l, path))))
                .Where(p => p.Kind != EntryKind.Missing)
                .ToList();
            var top = providers[0];
            var existing = KindAt(dirFd, name);
            var source = Path.Combine(top.Layer, path);
            switch (top.Kind)
            {
                case EntryKind.Directory when existing == EntryKind.Directory:
                    var child = OpenPath(dirFd, name);
                    try { count += Merge(child, path, layersTopFirst); }
                    finally { Libc.Close(child); }
                    break;
                case EntryKind.Directory when existing == EntryKind.Missing:
                    if (MkdirAt(dirFd, name, 0x1ED) != 0 && Libc.LastError != Libc.EEXIST) throw Failure("mkdir", path);
                    // The layers below the top one that have a directory here too show through it, as in an overlay.
                    var sources = providers.TakeWhile(p => p.Kind == EntryKind.Directory).Select(p => Path.Combine(p.Layer, path)).ToList();
                    if (sources.Count == 1)
                    {
                        BindReadOnly(source, dirFd, name, path);
                        count++;
                    }
                    else if (HaveDisjointEntries(sources))
                    {
                        // Each entry from one layer (/layers/<name> of each dependency): the directory made here holds one
                        // mount per entry, rather than an overlay of many layers.
                        var made = OpenPath(dirFd, name);
                        try { count += Merge(made, path, layersTopFirst); }
                        finally { Libc.Close(made); }
                    }
                    else
                    {
                        OverlayReadOnly(sources, dirFd, name, path);
                        count++;
                    }
                    break;
                case EntryKind.File when existing is EntryKind.Missing or EntryKind.File:
                    if (existing == EntryKind.Missing)
                    {
                        var fd = OpenAt(dirFd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0x1A4);
                        if (fd < 0) throw Failure("create", path);
                        Libc.Close(fd);
                    }
                    BindReadOnly(source, dirFd, name, path);
                    count++;
                    break;
                case EntryKind.Link when existing == EntryKind.Missing:
                    if (SymlinkAt(LinkTextOf(source), dirFd, name) != 0)
                        throw Failure("symlink", path);
                    count++;
                    break;
                case EntryKind.Link when existing == EntryKind.Link && ReadLinkAt(dirFd, name) == LinkTextOf(source):
                    break; // the same link already
                case EntryKind.Other:
                    throw new SandboxException($"layer {top.Layer} has a special file at /{path}: only files, directories and links can be added to a running container");
                default:
                    throw new SandboxException(
                        $"cannot add /{path} of layer {top.Layer} to the running container: it is a {Describe(top.Kind)} there and a {Describe(existing)} in the container");
            }
        }
        return count;
    }

    private enum EntryKind { Missing, Directory, File, Link, Other }

    private static string Describe(EntryKind kind) => kind switch
    {
        EntryKind.Directory => "directory",
        EntryKind.File => "file",
        EntryKind.Link => "symbolic link",
        EntryKind.Missing => "missing entry",
        _ => "special file",
    };

    private static EntryKind Kind(string hostPath) =>
        Libc.TryLstat(hostPath, out var stat) ? KindOf(stat) : EntryKind.Missing;

    private static EntryKind KindAt(int dirFd, string name) =>
        Libc.Statx(dirFd, name, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, out var stat) == 0 ? KindOf(stat) : EntryKind.Missing;

    private static EntryKind KindOf(StatxBuffer stat) => stat.FileType switch
    {
        Libc.S_IFDIR => EntryKind.Directory,
        Libc.S_IFREG => EntryKind.File,
        Libc.S_IFLNK => EntryKind.Link,
        _ => EntryKind.Other,
    };

    private static string LinkTextOf(string hostPath) =>
        new FileInfo(hostPath).LinkTarget ?? throw new IOException($"{hostPath} is not a symbolic link");

    /// <summary>A directory descriptor for *at calls; O_NOFOLLOW makes a link in its place an error, never a detour.</summary>
    private static int OpenPath(int dirFd, string name)
    {
        var fd = OpenAt(dirFd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0) throw Failure("open", name);
        return fd;
    }

    /// <summary>A read-only, nosuid, nodev copy of <paramref name="source"/> attached at <paramref name="name"/> in <paramref name="dirFd"/>.</summary>
    private static void BindReadOnly(string source, int dirFd, string name, string path)
    {
        // The flags must be on the mount before it is attached: a later remount would not reach the container's copy.
        var tree = OpenTree(source);
        if (tree < 0) throw Failure("open_tree", source);
        try
        {
            SetAttributes(tree, source, readOnly: true);
            Attach(tree, dirFd, name, path);
        }
        finally
        {
            Libc.Close(tree);
        }
    }

    private static bool HaveDisjointEntries(IReadOnlyList<string> directories)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dir in directories)
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir, "*", new EnumerationOptions { AttributesToSkip = 0 }))
                if (!seen.Add(Path.GetFileName(entry))) return false;
        return true;
    }

    /// <summary>A read-only overlay of several layers' directories (top first) attached at <paramref name="name"/>.</summary>
    private static void OverlayReadOnly(IReadOnlyList<string> sourcesTopFirst, int dirFd, string name, string path)
    {
        // fsconfig takes at most 256 bytes of lowerdir: the layers are named by descriptors (/proc/self/fd/N), not paths.
        var fds = new List<int>();
        var fs = -1;
        try
        {
            foreach (var source in sourcesTopFirst) fds.Add(OpenPath(Libc.AT_FDCWD, source));
            var lower = string.Join(':', fds.Select(fd => $"/proc/self/fd/{fd}"));
            if (lower.Length > 255)
                throw new SandboxException($"/{path} is in {sourcesTopFirst.Count} of the layers added: too many for one overlay");
            fs = FsOpen("overlay");
            if (fs < 0) throw Failure("fsopen overlay for", path);
            if (FsConfig(fs, FSCONFIG_SET_STRING, "lowerdir", lower) != 0) throw Failure("fsconfig lowerdir", string.Join(':', sourcesTopFirst));
            if (FsConfig(fs, FSCONFIG_CMD_CREATE, null, null) != 0) throw Failure("creating the overlay of", string.Join(':', sourcesTopFirst));
            var mount = (int)SyscallRaw(SYS_fsmount, fs, FSMOUNT_CLOEXEC, (long)(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV), 0, 0);
            if (mount < 0) throw Failure("fsmount", path);
            try { Attach(mount, dirFd, name, path); }
            finally { Libc.Close(mount); }
        }
        finally
        {
            if (fs >= 0) Libc.Close(fs);
            foreach (var fd in fds) Libc.Close(fd);
        }
    }

    private static void Attach(int mountFd, int dirFd, string name, string path)
    {
        // Without MOVE_MOUNT_T_SYMLINKS a link at name is not followed.
        if (MoveMount(mountFd, dirFd, name) != 0) throw Failure("move_mount to", "/" + path);
    }

    /// <summary>nosuid, nodev and, when asked, read-only: set on the detached mount, so its copy in the container has them.</summary>
    private static unsafe void SetAttributes(int tree, string source, bool readOnly)
    {
        var attributes = stackalloc ulong[4]; // struct mount_attr { attr_set, attr_clr, propagation, userns_fd }
        attributes[0] = (readOnly ? MOUNT_ATTR_RDONLY : 0) | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
        attributes[1] = 0;
        attributes[2] = 0;
        attributes[3] = 0;
        fixed (byte* empty = Utf8(""))
            if (SyscallRaw(SYS_mount_setattr, tree, (long)empty, AT_EMPTY_PATH, (long)attributes, 32) != 0) throw Failure("mount_setattr", source);
    }

    private static IOException Failure(string call, string path) => Libc.Failure(call, path);

    // The new mount API has no libc wrappers in glibc 2.36: raw syscalls, whose numbers are the same on every
    // architecture (they were added after the tables were unified).
    private const long SYS_open_tree = 428;
    private const long SYS_move_mount = 429;
    private const long SYS_fsopen = 430;
    private const long SYS_fsconfig = 431;
    private const long SYS_fsmount = 432;
    private const long SYS_mount_setattr = 442;

    private const long OPEN_TREE_CLONE = 1;
    private const long OPEN_TREE_CLOEXEC = 0x80000;
    private const long FSOPEN_CLOEXEC = 1;
    private const long FSMOUNT_CLOEXEC = 1;
    private const long MOVE_MOUNT_F_EMPTY_PATH = 4;
    private const long AT_EMPTY_PATH = 0x1000;
    private const uint FSCONFIG_SET_STRING = 1;
    private const uint FSCONFIG_CMD_CREATE = 6;
    private const ulong MOUNT_ATTR_RDONLY = 0x1;
    private const ulong MOUNT_ATTR_NOSUID = 0x2;
    private const ulong MOUNT_ATTR_NODEV = 0x4;

    private const int O_WRONLY = 0x1;
    private const int O_CREAT = 0x40;
    private const int O_EXCL = 0x80;
    private const int O_DIRECTORY = 0x10000;
    private const int O_NOFOLLOW = 0x20000;
    private const int O_CLOEXEC = 0x80000;
    private const int O_PATH = 0x200000;

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text + "\0");

    private static unsafe int OpenTree(string path)
    {
        fixed (byte* p = Utf8(path))
            return (int)SyscallRaw(SYS_open_tree, Libc.AT_FDCWD, (long)p, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC, 0, 0);
    }

    private static unsafe int FsOpen(string fileSystem)
    {
        fixed (byte* p = Utf8(fileSystem))
            return (int)SyscallRaw(SYS_fsopen, (long)p, FSOPEN_CLOEXEC, 0, 0, 0);
    }

    private static unsafe int FsConfig(int fs, uint command, string? key, string? value)
    {
        fixed (byte* k = key is null ? null : Utf8(key), v = value is null ? null : Utf8(value))
            return (int)SyscallRaw(SYS_fsconfig, fs, command, (long)k, (long)v, 0);
    }

    private static unsafe int MoveMount(int mountFd, int dirFd, string name)
    {
        fixed (byte* empty = Utf8(""), n = Utf8(name))
            return (int)SyscallRaw(SYS_move_mount, mountFd, (long)empty, dirFd, (long)n, MOVE_MOUNT_F_EMPTY_PATH);
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long SyscallRaw(long number, long arg1, long arg2, long arg3, long arg4, long arg5);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenAt(int dirFd, string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkdirAt(int dirFd, string path, uint mode);

    [LibraryImport("libc", EntryPoint = "symlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SymlinkAt(string target, int dirFd, string path);

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ReadLinkAtRaw(int dirFd, string path, byte[] buffer, nuint size);

    private static string? ReadLinkAt(int dirFd, string name)
    {
        var buffer = new byte[4096];
        var n = ReadLinkAtRaw(dirFd, name, buffer, (nuint)buffer.Length);
        return n < 0 ? null : Encoding.UTF8.GetString(buffer, 0, (int)n);
    }
}
