using System.Text.Json;
using Platform.Contracts.Messages;

namespace Platform.Cell;

/// <summary>What an app sees in its environment and how it is launched: the same as on Cloud Foundry, so apps run unchanged.</summary>
public static class InstanceEnvironment
{
    public const string AppDir = "/home/vcap/app";

    /// <summary>The app's user and group, "vcap" as on Cloud Foundry: the stager gives it /home/vcap.</summary>
    public const uint VcapUid = 2000;
    public const uint VcapGid = 2000;

    public static Dictionary<string, string> For(StartInstance start, int port)
    {
        var application = new Dictionary<string, object>
        {
            ["application_id"] = start.AppId,
            ["application_name"] = start.AppName,
            ["name"] = start.AppName,
            ["instance_id"] = start.InstanceId,
            ["instance_index"] = start.Index,
            ["limits"] = new Dictionary<string, int> { ["mem"] = start.MemoryMb, ["disk"] = start.DiskMb },
            ["port"] = port,
        };
        if (start.Space is { } space)
        {
            application["space_id"] = space.SpaceId;
            application["space_name"] = space.SpaceName;
            application["organization_id"] = space.OrgId;
            application["organization_name"] = space.OrgName;
        }
        var vcapApplication = JsonSerializer.Serialize(application);
        // User variables first, so the platform's own cannot be overridden by accident.
        var env = new Dictionary<string, string>(start.Env)
        {
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["HOME"] = AppDir,
            ["LANG"] = "C.UTF-8",
            ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MEMORY_LIMIT"] = $"{start.MemoryMb}m",
            ["CF_INSTANCE_INDEX"] = start.Index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CF_INSTANCE_GUID"] = start.InstanceId.ToString(),
            ["VCAP_APPLICATION"] = vcapApplication,
            ["VCAP_SERVICES"] = "{}",
        };
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
