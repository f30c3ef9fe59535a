using Platform.Staging;
using Platform.Staging.Buildpacks;
using Platform.Staging.Dependencies;
using Platform.Staging.Layers;

namespace Platform.Java.Tests;

/// <summary>The two staging features the java buildpack needs, on real files: link relocation and launch dependencies.</summary>
public sealed class StagingSupportTests
{
    [Fact]
    public void Absolute_links_to_the_packages_own_files_are_made_relative_and_others_are_left()
    {
        var root = Directory.CreateTempSubdirectory("relocate-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "etc/java-17-openjdk"));
            File.WriteAllText(Path.Combine(root, "etc/java-17-openjdk/jvm-amd64.cfg"), "-server KNOWN\n");
            var lib = Directory.CreateDirectory(Path.Combine(root, "usr/lib/jvm/java-17-openjdk-amd64/lib")).FullName;
            File.CreateSymbolicLink(Path.Combine(lib, "jvm.cfg"), "/etc/java-17-openjdk/jvm-amd64.cfg");
            File.CreateSymbolicLink(Path.Combine(lib, "cacerts"), "/etc/ssl/certs/java/cacerts"); // not shipped
            File.CreateSymbolicLink(Path.Combine(lib, "relative"), "jvm.cfg");

            Assert.Equal(1, AbsoluteLinkRelocator.Relocate(root));

            Assert.Equal("../../../../../etc/java-17-openjdk/jvm-amd64.cfg", new FileInfo(Path.Combine(lib, "jvm.cfg")).LinkTarget);
            Assert.Equal("-server KNOWN\n", File.ReadAllText(Path.Combine(lib, "jvm.cfg")));
            Assert.Equal("/etc/ssl/certs/java/cacerts", new FileInfo(Path.Combine(lib, "cacerts")).LinkTarget);
            Assert.Equal("jvm.cfg", new FileInfo(Path.Combine(lib, "relative")).LinkTarget);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Launch_dependencies_keep_only_those_named_and_refuse_unpinned_names()
    {
        var deps = Directory.CreateTempSubdirectory("launch-").FullName;
        try
        {
            var all = new[] { "jre", "tomcat9", "tomcat10" }
                .Select(n => new DependencyLayer(new BuildpackDependency(n, "1", new string('a', 64), "apt:" + n), new LayerFile("sha256:" + n, 1, "/x"), "/x"))
                .ToList();
            var lines = new List<string>();

            Assert.Equal(3, (await LaunchDependencies.ChooseAsync(all, deps, lines.Add, CancellationToken.None)).Count); // no file: all

            await File.WriteAllTextAsync(Path.Combine(deps, LaunchDependencies.FileName), "jre\n\ntomcat9\n# comment\n");
            var chosen = await LaunchDependencies.ChooseAsync(all, deps, lines.Add, CancellationToken.None);
            Assert.Equal(["jre", "tomcat9"], chosen.Select(d => d.Dependency.Name));
            Assert.Contains("-----> Launch dependencies: jre, tomcat9", lines);

            await File.WriteAllTextAsync(Path.Combine(deps, LaunchDependencies.FileName), "jre\nnode\n");
            var error = await Assert.ThrowsAsync<StagingFailedException>(() => LaunchDependencies.ChooseAsync(all, deps, lines.Add, CancellationToken.None));
            Assert.Contains("node", error.Message);
            Assert.Contains("it pins: jre, tomcat9, tomcat10", error.Message);
        }
        finally
        {
            Directory.Delete(deps, recursive: true);
        }
    }
}
