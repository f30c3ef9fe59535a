using System.Text;

namespace Platform.Sandbox.Tests;

/// <summary>
/// Layers added to a running container (<see cref="ISandbox.AddLayersAsync"/>) and commands run in it
/// (<see cref="ISandbox.ExecAsync"/>): what a stager needs to run detect, then supply with the chosen buildpack's
/// dependencies, in one container.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class LiveLayerTests(SandboxFixture fx) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("live-layers-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Layer(string name, Dictionary<string, string> files, Dictionary<string, string>? links = null)
    {
        var root = Path.Combine(_dir, name);
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }
        foreach (var (path, target) in links ?? [])
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.CreateSymbolicLink(full, target);
        }
        Directory.CreateDirectory(root);
        return root;
    }

    private ContainerSpec Holding(string id, bool accepts, uint? uid = null) => new()
    {
        Id = id,
        Layers = [fx.StackLayer],
        Args = ["/bin/sleep", "infinity"],
        AcceptsLayersWhileRunning = accepts,
        User = uid is { } u ? new ContainerUser(u, u) : null,
    };

    private async Task<(int Exit, string Output)> ExecAsync(string id, string script, Dictionary<string, string>? env = null)
    {
        var output = new StringBuilder();
        var exit = await fx.Sandbox.ExecAsync(id, ["/bin/sh", "-c", script], env, (_, data, _) =>
        {
            lock (output) output.Append(Encoding.UTF8.GetString(data.Span));
            return ValueTask.CompletedTask;
        }, CancellationToken.None);
        lock (output) return (exit, output.ToString());
    }

    [Fact]
    public async Task Added_layers_appear_merged_and_read_only_in_the_running_container()
    {
        var id = SandboxFixture.NewId("live");
        await fx.Sandbox.StartAsync(Holding(id, accepts: true, uid: 2000), (_, _) => { }, CancellationToken.None);
        try
        {
            var (before, _) = await ExecAsync(id, "test -e /layers/one/hello.txt");
            Assert.NotEqual(0, before);

            var one = Layer("one", new()
            {
                ["layers/one/hello.txt"] = "one\n",
                ["usr/share/both/from-one"] = "1\n",
                ["usr/share/both/common"] = "common of one\n",
                ["etc/debian_version"] = "shadowed\n",
            }, new() { ["usr/bin/one-link"] = "/layers/one/hello.txt" });
            var two = Layer("two", new()
            {
                ["layers/two/hello.txt"] = "two\n",
                ["usr/share/both/from-two"] = "2\n",
                ["usr/share/both/common"] = "common of two\n",
                ["etc/new.conf"] = "new\n",
            });
            var added = await fx.Sandbox.AddLayersAsync(id, [one, two], CancellationToken.None);
            // /layers/one and /layers/two (a /layers made to hold them), /usr/share/both (an overlay of both), two /etc
            // files, one link.
            Assert.Equal(6, added);

            var (exit, output) = await ExecAsync(id,
                "cat /layers/one/hello.txt /layers/two/hello.txt /usr/share/both/from-one /usr/share/both/from-two /usr/share/both/common " +
                "/etc/debian_version /etc/new.conf /usr/bin/one-link; ls /usr/bin/sh >/dev/null && echo stack-still-there");
            Assert.True(exit == 0, output);
            Assert.Equal("one\ntwo\n1\n2\ncommon of two\nshadowed\nnew\none\nstack-still-there\n", output); // two is the upper layer

            var (write, _) = await ExecAsync(id, "echo x > /layers/one/hello.txt");
            Assert.NotEqual(0, write);
            Assert.Equal("one\n", await File.ReadAllTextAsync(Path.Combine(one, "layers/one/hello.txt")));
        }
        finally
        {
            await fx.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);
        }
        Assert.DoesNotContain(fx.Sandbox.PathsOf(id).Directory, await File.ReadAllTextAsync("/proc/self/mountinfo"));
    }

    [Fact]
    public async Task Root_in_the_container_cannot_write_an_added_layer_either()
    {
        var id = SandboxFixture.NewId("live-ro");
        await fx.Sandbox.StartAsync(Holding(id, accepts: true), (_, _) => { }, CancellationToken.None);
        try
        {
            var layer = Layer("ro", new() { ["layers/ro/file"] = "kept\n" });
            await fx.Sandbox.AddLayersAsync(id, [layer], CancellationToken.None);
            var (exit, output) = await ExecAsync(id, "echo changed > /layers/ro/file");
            Assert.NotEqual(0, exit);
            Assert.Contains("Read-only file system", output);
            Assert.Equal("kept\n", await File.ReadAllTextAsync(Path.Combine(layer, "layers/ro/file")));
        }
        finally
        {
            await fx.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_link_the_container_planted_where_a_layer_has_a_directory_is_refused_not_followed()
    {
        var id = SandboxFixture.NewId("live-link");
        await fx.Sandbox.StartAsync(Holding(id, accepts: true), (_, _) => { }, CancellationToken.None);
        var outside = Directory.CreateDirectory(Path.Combine(_dir, "outside")).FullName;
        try
        {
            // Root in the container points /opt/evil at a host path (meaningless inside, but a host walking the rootfs
            // by path would follow it).
            var (planted, _) = await ExecAsync(id, $"mkdir -p /opt && ln -s {outside} /opt/evil");
            Assert.Equal(0, planted);
            var layer = Layer("evil", new() { ["opt/evil/payload"] = "x\n" });

            var error = await Assert.ThrowsAsync<SandboxException>(() => fx.Sandbox.AddLayersAsync(id, [layer], CancellationToken.None));
            Assert.Contains("/opt/evil", error.Message);
            Assert.Empty(Directory.GetFileSystemEntries(outside));
        }
        finally
        {
            await fx.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Directories_mounted_into_a_running_container_are_writable_or_read_only_as_asked_and_exec_gets_its_variables()
    {
        var id = SandboxFixture.NewId("live-mnt");
        await fx.Sandbox.StartAsync(Holding(id, accepts: true, uid: 2000), (_, _) => { }, CancellationToken.None);
        var work = Directory.CreateDirectory(Path.Combine(_dir, "work")).FullName;
        var ro = Directory.CreateDirectory(Path.Combine(_dir, "ro")).FullName;
        await File.WriteAllTextAsync(Path.Combine(ro, "tool"), "tool\n");
        await Host.RunAsync("chown", "2000:2000", work);
        try
        {
            await fx.Sandbox.AddMountsAsync(id, [new BindMount(work, "/tmp/app", ReadOnly: false), new BindMount(ro, "/tmp/tools/x", ReadOnly: true)],
                CancellationToken.None);
            var (exit, output) = await ExecAsync(id, "echo \"$GREETING\" > /tmp/app/out && cat /tmp/tools/x/tool && echo x > /tmp/tools/x/new",
                new Dictionary<string, string> { ["GREETING"] = "written inside" });
            Assert.NotEqual(0, exit); // the read-only one refused the last write
            Assert.Contains("tool", output);
            Assert.Equal("written inside\n", await File.ReadAllTextAsync(Path.Combine(work, "out")));
            Assert.False(File.Exists(Path.Combine(ro, "new")));

            // Mounted later beneath a mounted directory: it reaches the container as well.
            var later = Directory.CreateDirectory(Path.Combine(_dir, "later")).FullName;
            await File.WriteAllTextAsync(Path.Combine(later, "file"), "later\n");
            await fx.Sandbox.AddMountsAsync(id, [new BindMount(later, "/tmp/app/node_modules", ReadOnly: true)], CancellationToken.None);
            var (seen, text) = await ExecAsync(id, "cat /tmp/app/node_modules/file");
            Assert.True(seen == 0, text);
            Assert.Equal("later\n", text);
        }
        finally
        {
            await fx.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);
        }
        Assert.DoesNotContain(fx.Sandbox.PathsOf(id).Directory, await File.ReadAllTextAsync("/proc/self/mountinfo"));
        Assert.True(File.Exists(Path.Combine(work, "out")), "the host directory kept what was written");
    }

    [Fact]
    public async Task A_container_not_started_to_accept_layers_refuses_them()
    {
        var id = SandboxFixture.NewId("live-no");
        await fx.Sandbox.StartAsync(Holding(id, accepts: false), (_, _) => { }, CancellationToken.None);
        try
        {
            var layer = Layer("no", new() { ["layers/no/file"] = "x\n" });
            var error = await Assert.ThrowsAsync<SandboxException>(() => fx.Sandbox.AddLayersAsync(id, [layer], CancellationToken.None));
            Assert.Contains("AcceptsLayersWhileRunning", error.Message);
        }
        finally
        {
            await fx.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);
        }
        await Assert.ThrowsAsync<SandboxException>(() => fx.Sandbox.AddLayersAsync(id, [_dir], CancellationToken.None));
    }
}
