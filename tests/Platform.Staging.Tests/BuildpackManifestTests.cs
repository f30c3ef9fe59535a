using Platform.Staging.Buildpacks;
using Platform.TestSupport;

namespace Platform.Staging.Tests;

public sealed class BuildpackManifestTests
{
    private const string Sha = "3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744";

    [Fact]
    public void The_staticfile_buildpack_pins_busybox_static_from_debian()
    {
        var path = Path.Combine(TestEnvironment.RepoRoot, "buildpacks", "staticfile", "manifest.yml");
        var manifest = BuildpackManifest.Parse(File.ReadAllText(path), path);

        Assert.Equal("staticfile", manifest.Name);
        var busybox = Assert.Single(manifest.Dependencies);
        Assert.Equal("busybox", busybox.Name);
        Assert.Equal("busybox-static", busybox.AptPackage);
        Assert.Matches("^[0-9a-f]{64}$", busybox.Sha256);
    }

    [Fact]
    public void The_binary_buildpack_has_no_dependencies()
    {
        var path = Path.Combine(TestEnvironment.RepoRoot, "buildpacks", "binary", "manifest.yml");
        var manifest = BuildpackManifest.Parse(File.ReadAllText(path), path);

        Assert.Equal("binary", manifest.Name);
        Assert.Empty(manifest.Dependencies);
    }

    [Theory]
    [InlineData("name: x\nversion: 1\ndependencies:\n- {name: d, version: '1.0', sha256: abc, source: 'apt:d'}", "sha256")]
    [InlineData($"name: x\nversion: 1\ndependencies:\n- {{name: d, version: '1.0', sha256: {Sha}, source: 'http://x/d.deb'}}", "source")]
    [InlineData($"name: x\nversion: 1\ndependencies:\n- {{name: ../d, version: '1.0', sha256: {Sha}, source: 'apt:d'}}", "'name'")]
    [InlineData($"name: x\nversion: 1\ndependencies:\n- {{name: d, version: '1.0; rm -rf /', sha256: {Sha}, source: 'apt:d'}}", "'version'")]
    [InlineData("name: Bad Name\nversion: 1", "'name'")]
    [InlineData("name: x", "'version'")]
    [InlineData("name: [unclosed", "not valid YAML")]
    public void Invalid_manifests_are_rejected_with_the_field_named(string yaml, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => BuildpackManifest.Parse(yaml, "test/manifest.yml"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("test/manifest.yml", e.Message);
    }
}
