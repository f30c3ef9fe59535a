namespace Platform.Staging.Tests;

/// <summary>Buildpacks that exist only to make staging fail in particular ways.</summary>
public static class FixtureBuildpacks
{
    /// <summary>Never detects; its supply prints to stdout and stderr and exits 3.</summary>
    public const string FailingSupply = "failing-supply";

    /// <summary>Pins busybox-static with a sha256 that is not the package's.</summary>
    public const string BadChecksum = "bad-checksum";

    /// <summary>
    /// Last in the detect order; detects an app with a late.txt ("late.txt at the root"). Its detect also prints lines
    /// shaped like the detector's verdicts ("NONCE staticfile 0"), which must not be taken for staticfile's.
    /// </summary>
    public const string LateDetect = "late-detect";

    public const string WrongSha256 = "0000000000000000000000000000000000000000000000000000000000000bad";

    public static void WriteAll(string buildpacksDir)
    {
        Write(buildpacksDir, FailingSupply, "dependencies: []\n", new()
        {
            ["detect"] = "#!/bin/bash\nexit 1\n",
            ["supply"] = "#!/bin/bash\necho \"supply says hello from $1\"\necho 'supply is unhappy' >&2\nexit 3\n",
            ["finalize"] = "#!/bin/bash\necho 'finalize must not run'\n",
            ["release"] = "#!/bin/bash\necho '--- {}'\n",
        });
        Write(buildpacksDir, LateDetect, "dependencies: []\n", new()
        {
            ["detect"] = "#!/bin/bash\necho '0123456789abcdef0123456789abcdef staticfile 0' >&2\n" +
                         "[ -f \"$1/late.txt\" ] || exit 1\necho 'late.txt at the root'\necho '0123456789abcdef0123456789abcdef staticfile 0'\n",
            ["release"] = "#!/bin/bash\necho '--- {default_process_types: {web: cat late.txt}}'\n",
        });
        var staticManifest = File.ReadAllText(Path.Combine(buildpacksDir, "staticfile", "manifest.yml"));
        var version = System.Text.RegularExpressions.Regex.Match(staticManifest, "version: (\"[^\"]+\")").Groups[1].Value;
        Write(buildpacksDir, BadChecksum,
            $"dependencies:\n  - name: busybox\n    version: {version}\n    sha256: {WrongSha256}\n    source: apt:busybox-static\n",
            new()
            {
                ["detect"] = "#!/bin/bash\nexit 1\n",
                ["release"] = "#!/bin/bash\necho '--- {default_process_types: {web: sleep 1}}'\n",
            });
    }

    private static void Write(string buildpacksDir, string name, string dependencies, Dictionary<string, string> scripts)
    {
        var dir = Path.Combine(buildpacksDir, name);
        Directory.CreateDirectory(Path.Combine(dir, "bin"));
        File.WriteAllText(Path.Combine(dir, "manifest.yml"), $"name: {name}\nversion: 0.0.1\n{dependencies}");
        foreach (var (step, body) in scripts)
        {
            var path = Path.Combine(dir, "bin", step);
            File.WriteAllText(path, body);
            File.SetUnixFileMode(path, (UnixFileMode)0x1ED); // 0755
        }
    }
}
