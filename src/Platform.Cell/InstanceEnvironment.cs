using Platform.Contracts;
using Platform.Contracts.Messages;

namespace Platform.Cell;

/// <summary>What an app sees in its environment and how it is launched: the same as on Cloud Foundry, so apps run unchanged.</summary>
public static class InstanceEnvironment
{
    public const string AppDir = PlatformEnvironment.AppDir;

    /// <summary>The app's user and group, "vcap" as on Cloud Foundry: the stager gives it /home/vcap.</summary>
    public const uint VcapUid = 2000;
    public const uint VcapGid = 2000;

    public static Dictionary<string, string> For(StartInstance start, int port)
    {
        // User variables first, so the platform's own cannot be overridden by accident.
        var env = new Dictionary<string, string>(start.Env);
        foreach (var (name, value) in PlatformEnvironment.For(start.AppId, start.AppName, start.MemoryMb, start.DiskMb, start.Space, port,
                     (start.Index, start.InstanceId)))
            env[name] = value;
        return env;
    }

    /// <summary>
    /// The launcher: source the buildpacks' profile.d scripts, as Cloud Foundry's launcher does, then replace
    /// itself with a shell running the droplet's start command (passed as $1, so it needs no quoting), so that
    /// signals from the init reach the app and no launcher shell lingers.
    /// </summary>
    public static IReadOnlyList<string> LaunchArgs(string startCommand) =>
    [
        "/bin/sh", "-c",
        $"cd {AppDir} && for f in /home/vcap/deps/*/profile.d/*.sh {AppDir}/.profile.d/*.sh; do [ -f \"$f\" ] && . \"$f\"; done; exec /bin/sh -c \"$1\"",
        "launcher", startCommand,
    ];
}
