using Platform.TestSupport;

namespace Platform.Buildpacks.Tests;

/// <summary>The test apps in tests/apps, and scratch copies of them that a test may change.</summary>
internal static class AppDirs
{
    public static string Node => Path.Combine(TestEnvironment.RepoRoot, "tests", "apps", "node");
    public static string Python => Path.Combine(TestEnvironment.RepoRoot, "tests", "apps", "python");
    public static string Dotnet => Path.Combine(TestEnvironment.RepoRoot, "tests", "apps", "dotnet");

    /// <summary>A fresh directory with the given files (relative name -> content); deleted by the caller.</summary>
    public static string Scratch(IReadOnlyDictionary<string, string> files)
    {
        var dir = Directory.CreateTempSubdirectory("bp-test-").FullName;
        foreach (var (name, content) in files)
        {
            var path = Path.Combine(dir, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }
        return dir;
    }
}
