using System.Text.Json.Nodes;
using Platform.Cell;
using Platform.Cell.Metrics;
using Platform.Cell.Volumes;
using Platform.Contracts;
using Platform.Contracts.Messages;
using Platform.Sandbox.Exec;

namespace Platform.Exec.Tests;

public sealed class PureHelpersTests
{
    [Fact]
    public void The_exec_process_spec_is_the_containers_own_with_only_the_arguments_replaced()
    {
        var config = """
            {"ociVersion":"1.0.2","process":{"terminal":true,"consoleSize":{"height":1,"width":1},
             "user":{"uid":2000,"gid":2000},"args":["/.platform-init","--","/bin/sh","-c","exec ./start"],
             "env":["PATH=/bin","PORT=8080"],"cwd":"/home/vcap/app","noNewPrivileges":true,
             "capabilities":{"bounding":["CAP_KILL"],"effective":[],"permitted":[]},
             "rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}]},
             "root":{"path":"rootfs"}}
            """;
        var process = JsonNode.Parse(ContainerExec.ProcessSpec(config, ["sh", "-c", "exit 7"]))!.AsObject();
        Assert.Equal(["sh", "-c", "exit 7"], process["args"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.False(process["terminal"]!.GetValue<bool>());
        Assert.Null(process["consoleSize"]);
        Assert.Equal(2000, process["user"]!["uid"]!.GetValue<int>());
        Assert.Equal("/home/vcap/app", process["cwd"]!.GetValue<string>());
        Assert.Equal(["PATH=/bin", "PORT=8080"], process["env"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.True(process["noNewPrivileges"]!.GetValue<bool>());
        Assert.Equal(1024, process["rlimits"]![0]!["hard"]!.GetValue<int>());
        Assert.Null(process["root"]); // only the process object, as --process wants
    }

    [Fact]
    public void A_config_without_a_process_is_an_error() =>
        Assert.Throws<Platform.Sandbox.SandboxException>(() => ContainerExec.ProcessSpec("""{"root":{}}""", ["true"]));

    [Fact]
    public void Directory_size_adds_up_files_and_does_not_follow_symlinks()
    {
        var dir = Directory.CreateTempSubdirectory("exec-tests-du-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "a", "b"));
            File.WriteAllBytes(Path.Combine(dir, "a", "one"), new byte[1000]);
            File.WriteAllBytes(Path.Combine(dir, "a", "b", "two"), new byte[234]);
            File.CreateSymbolicLink(Path.Combine(dir, "link-to-etc"), "/etc");
            File.CreateSymbolicLink(Path.Combine(dir, "a", "link-to-one"), Path.Combine(dir, "a", "one"));
            Assert.Equal(1234, WritableLayerUsage.DirectorySize(dir));
            // Same filesystem as the host directory: measured by walking, with no filesystem limit.
            Assert.Equal((1234L, (long?)null), WritableLayerUsage.Measure(dir, dir, Path.GetTempPath()));
            Assert.Null(WritableLayerUsage.DirectorySize(Path.Combine(dir, "missing")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_filesystem_of_its_own_reports_used_blocks_and_size()
    {
        // /dev/shm is a tmpfs: a filesystem other than the temp dir's (as the sandbox's loop image is).
        var dir = Directory.CreateTempSubdirectory("exec-tests-fs-").FullName;
        try
        {
            Assert.True(Directory.Exists("/dev/shm"), "this test needs /dev/shm");
            var (used, limit) = WritableLayerUsage.Measure("/dev/shm", dir, dir);
            Assert.NotNull(limit);
            Assert.True(used >= 0 && used <= limit, $"used {used} of {limit}");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Volumes_are_directories_per_space_and_name_owned_by_the_app_user_and_mounted_read_write()
    {
        var root = Directory.CreateTempSubdirectory("exec-tests-volumes-").FullName;
        try
        {
            var options = new CellOptions { VolumesRoot = root, VolumeUid = 2000, VolumeGid = 2001 };
            var start = Start([new VolumeMount("data", "/home/vcap/data/"), new VolumeMount("cache", "/cache")]);
            var mounts = InstanceVolumes.Prepare(start, options);
            Assert.Equal(2, mounts.Count);
            Assert.Equal(Path.Combine(root, "default", "data"), mounts[0].Source);
            Assert.Equal("/home/vcap/data", mounts[0].Destination);
            Assert.False(mounts[0].ReadOnly);
            var stat = Stat(mounts[0].Source);
            Assert.Equal(("2000", "2001"), stat);

            // Prepared again (a restart): the same directory, what it holds kept.
            File.WriteAllText(Path.Combine(mounts[0].Source, "kept"), "x");
            var again = InstanceVolumes.Prepare(start, options);
            Assert.Equal(mounts[0].Source, again[0].Source);
            Assert.True(File.Exists(Path.Combine(again[0].Source, "kept")));
            Assert.Empty(Directory.GetDirectories(Path.Combine(root, "default"), "*.tmp"));

            Assert.Empty(InstanceVolumes.Prepare(Start(null), options));
            Assert.Throws<ArgumentException>(() => InstanceVolumes.Prepare(Start([new VolumeMount("../x", "/x")]), options));
            Assert.Throws<ArgumentException>(() => InstanceVolumes.Prepare(Start([new VolumeMount("x", "/proc")]), options));
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    private static StartInstance Start(IReadOnlyList<VolumeMount>? volumes) =>
        new(Guid.NewGuid(), Guid.NewGuid(), "app", 0, "cell", Guid.NewGuid(), new DropletSpec([], "true"), 64, 64, new(), volumes);

    private static (string Uid, string Gid) Stat(string path)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u %g", path]) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var parts = p.StandardOutput.ReadToEnd().Trim().Split(' ');
        p.WaitForExit();
        return (parts[0], parts[1]);
    }
}
