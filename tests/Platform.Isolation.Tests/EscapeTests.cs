namespace Platform.Isolation.Tests;

/// <summary>
/// What an app must not be able to do, tried from inside a real instance (vcap, seccomp, no capabilities, masked
/// /proc and /sys, overlay layers) with each runtime. Every test also checks that the attempt really ran (the
/// helper printed its verdict), so a broken container cannot pass for a refusal.
/// </summary>
[Collection(IsolationCollection.Name)]
public sealed class EscapeTests(IsolationFixture fx)
{
    private const string Escape = "/opt/tools/escape";

    public static TheoryData<string> Runtimes => new() { "runc", "crun" };

    private async Task<OutputCollector> RunAsync(string runtime, string what, string script)
    {
        var (exit, output) = await Instances.RunToEndAsync(fx.For(runtime), fx.Instance(IsolationFixture.NewId(what), script));
        Assert.True(exit.ExitCode == 0, $"the test script itself failed: {exit}\n{output}");
        return output;
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task It_sees_only_its_own_processes(string runtime)
    {
        var output = await RunAsync(runtime, "ps",
            "echo pids=$(ls /proc | grep -c '^[0-9]*$'); echo init=$(tr '\\0' ' ' < /proc/1/cmdline); " +
            $"echo host-self=$(test -e /proc/{Environment.ProcessId}/cmdline && tr '\\0' ' ' < /proc/{Environment.ProcessId}/cmdline)");
        // bash, the subshells of this line and the init: a handful, never the host's hundreds.
        Assert.InRange(int.Parse(output.Value("pids")), 1, 10);
        Assert.StartsWith("/.platform-init", output.Value("init"));
        Assert.DoesNotContain("dotnet", output.Value("host-self"));
        Assert.True(Directory.EnumerateDirectories("/proc").Count(d => int.TryParse(Path.GetFileName(d), out _)) > 10);
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task It_cannot_mount_or_remount_anything(string runtime)
    {
        var output = await RunAsync(runtime, "mount",
            $"mkdir -p /tmp/m; echo tmpfs=$({Escape} mount /tmp/m); echo remount=$({Escape} remount-rw /usr); " +
            "mount -t tmpfs none /tmp/m 2>/dev/null; echo tool=$?; echo unshare=$(" + Escape + " unshare-mount)");
        Assert.Equal("EPERM", output.Value("tmpfs"));
        Assert.Equal("EPERM", output.Value("remount"));
        Assert.NotEqual("0", output.Value("tool"));
        Assert.Equal("EPERM", output.Value("unshare"));
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task It_cannot_make_a_user_namespace_to_get_capabilities_back(string runtime)
    {
        var output = await RunAsync(runtime, "userns",
            $"echo userns=$({Escape} unshare-user); unshare -U -r true 2>/dev/null; echo tool=$?");
        Assert.Equal("EPERM", output.Value("userns"));
        Assert.NotEqual("0", output.Value("tool"));
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task It_cannot_make_system_calls_through_the_32_bit_entry_point(string runtime)
    {
        // (An x86-64 test, as the machines here are.) The host runs i386 code (the same call outside a container prints ok); the filter knows only x86-64.
        var onHost = await IsolationFixture.RunAsync(Path.Combine(fx.ToolsLayer, "opt", "tools", "escape"), "int80-getpid");
        Assert.Equal("ok", onHost.Output.Trim());
        var output = await RunAsync(runtime, "int80", $"{Escape} int80-getpid; echo status=$?");
        Assert.Equal("159", output.Value("status")); // 128 + SIGSYS: killed by the filter
        Assert.DoesNotContain("ok", output.Out);
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task It_cannot_load_a_kernel_module(string runtime)
    {
        var output = await RunAsync(runtime, "module",
            $"echo init=$({Escape} init-module); echo finit=$({Escape} finit-module)");
        Assert.Equal("EPERM", output.Value("init"));
        Assert.Equal("EPERM", output.Value("finit"));
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task It_cannot_ptrace_even_its_own_processes(string runtime)
    {
        // Same user, same pid namespace: the kernel alone would allow it; the seccomp filter does not.
        var output = await RunAsync(runtime, "ptrace",
            $"sleep 60 & victim=$!; echo ptrace=$({Escape} ptrace $victim); kill $victim");
        Assert.Equal("EPERM", output.Value("ptrace"));
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task It_cannot_write_to_the_stack_or_a_dependency_layer(string runtime)
    {
        var stackLs = File.ReadAllBytes(Path.Combine(fx.StackLayer, "usr", "bin", "ls"));
        var output = await RunAsync(runtime, "layers",
            "echo x > /usr/bin/evil 2>/dev/null; echo newfile=$?; echo x >> /usr/bin/ls 2>/dev/null; echo append=$?; " +
            "echo x >> /layers/dep/lib.txt 2>/dev/null; echo dep=$?; echo x > /home/vcap/app/mine.txt; echo app=$?");
        Assert.NotEqual("0", output.Value("newfile"));
        Assert.NotEqual("0", output.Value("append"));
        Assert.NotEqual("0", output.Value("dep"));
        Assert.Equal("0", output.Value("app")); // its own files it may write: the refusals are not a broken rootfs
        Assert.False(File.Exists(Path.Combine(fx.StackLayer, "usr", "bin", "evil")));
        Assert.Equal(stackLs, File.ReadAllBytes(Path.Combine(fx.StackLayer, "usr", "bin", "ls")));
        Assert.Equal("dependency\n", File.ReadAllText(Path.Combine(fx.DependencyLayer, "layers", "dep", "lib.txt")));
        Assert.False(File.Exists(Path.Combine(fx.AppLayer, "home", "vcap", "app", "mine.txt")));
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task It_cannot_change_the_hostname(string runtime)
    {
        var before = File.ReadAllText("/proc/sys/kernel/hostname");
        var output = await RunAsync(runtime, "hostname",
            $"echo call=$({Escape} sethostname pwned); hostname pwned 2>/dev/null; echo tool=$?; echo now=$(hostname)");
        Assert.Equal("EPERM", output.Value("call"));
        Assert.NotEqual("0", output.Value("tool"));
        Assert.StartsWith("iso-hostname-", output.Value("now"));
        Assert.Equal(before, File.ReadAllText("/proc/sys/kernel/hostname"));
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task It_cannot_read_kernel_memory_firmware_or_scheduler_internals(string runtime)
    {
        var output = await RunAsync(runtime, "kernel",
            "echo kcore=$(head -c 64 /proc/kcore 2>/dev/null | wc -c); echo firmware=$(ls -A /sys/firmware 2>/dev/null | wc -l); " +
            "echo sched=$(cat /proc/sched_debug 2>/dev/null | wc -c); echo keys=$(cat /proc/keys 2>/dev/null | wc -c); " +
            "echo masks=$(awk '{print $5}' /proc/self/mountinfo | grep -E '^/(proc/(keys|timer_list|kcore|sched_debug|acpi|scsi)|sys/firmware)$' | sort | tr '\\n' ' '); " +
            "echo sysrq=$( (echo h > /proc/sysrq-trigger) 2>/dev/null && echo written || echo refused); " +
            "echo sysctl=$( (echo 1 > /proc/sys/kernel/panic) 2>/dev/null && echo written || echo refused); " +
            "echo sys=$( (echo 1 > /sys/kernel/profiling) 2>/dev/null && echo written || echo refused); " +
            "echo version=$(wc -c < /proc/version)");
        Assert.Equal("0", output.Value("kcore"));
        Assert.Equal("0", output.Value("sched"));
        Assert.Equal("0", output.Value("keys"));
        Assert.Equal("0", output.Value("firmware"));
        // The host has firmware tables to show (this host's kernel has no /proc/kcore or /proc/sched_debug, so
        // those two cannot be told apart from absent here; the runtime masks each that exists).
        Assert.NotEmpty(Directory.EnumerateFileSystemEntries("/sys/firmware"));
        var masks = output.Value("masks").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var path in new[] { "/proc/keys", "/proc/timer_list", "/sys/firmware", "/proc/kcore", "/proc/sched_debug" })
            if (Path.Exists(path)) Assert.Contains(path, masks);
        Assert.Equal("refused", output.Value("sysrq"));
        Assert.Equal("refused", output.Value("sysctl"));
        Assert.Equal("refused", output.Value("sys"));
        Assert.NotEqual("0", output.Value("version")); // /proc itself is there: the zeros above are the masks
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task It_cannot_create_a_device_node(string runtime)
    {
        var output = await RunAsync(runtime, "mknod",
            $"echo dev=$({Escape} mknod /tmp/mem); mknod /tmp/null2 c 1 3 2>/dev/null; echo tool=$?; echo fifo=$({Escape} mkfifo /tmp/fifo); " +
            "echo devs=$(ls /dev | tr '\\n' ' ')");
        Assert.Equal("EPERM", output.Value("dev"));
        Assert.NotEqual("0", output.Value("tool"));
        Assert.Equal("ok", output.Value("fifo"));
        var devices = output.Value("devs").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        var standard = new HashSet<string> { "null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts", "shm", "mqueue", "console", "fd", "stdin", "stdout", "stderr", "core" };
        Assert.Empty(devices.Except(standard));
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task A_set_uid_root_program_gains_neither_root_nor_capabilities(string runtime)
    {
        var output = await RunAsync(runtime, "suid",
            "ls -ln /opt/tools/escape-suid /usr/bin/su | awk '{print \"mode=\" $1 \" \" $3}'; /opt/tools/escape-suid whoami; " +
            "echo su=$(su -c id root </dev/null >/dev/null 2>&1; echo $?)");
        Assert.Contains("mode=-rwsr-xr-x 0", output.Out); // it really is set-uid root in the image
        Assert.Equal("2000", output.Value("euid"));
        Assert.Contains(output.Out, l => l.StartsWith("CapEff:") && l.EndsWith("0000000000000000"));
        Assert.Contains(output.Out, l => l.StartsWith("CapBnd:") && l.EndsWith("0000000000000000"));
        Assert.Contains(output.Out, l => l.StartsWith("NoNewPrivs:") && l.EndsWith("1"));
        Assert.NotEqual("0", output.Value("su"));
    }
}
