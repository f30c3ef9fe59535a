using System.Globalization;
using System.Text.Json;
using Platform.Contracts.Messages;

namespace Platform.Contracts;

/// <summary>
/// The variables the platform sets for every instance, as Cloud Foundry does (PORT, VCAP_APPLICATION, MEMORY_LIMIT,
/// HOME, ...): built here once, so what `plat env` shows is what the cell gives the app.
/// </summary>
public static class PlatformEnvironment
{
    public const string AppDir = "/home/vcap/app";
    public const int AppPort = 8080;

    /// <param name="instance">The instance's index and id, or null to describe the app (plat env) rather than one instance.</param>
    public static Dictionary<string, string> For(Guid appId, string appName, int memoryMb, int diskMb, InstanceSpace? space,
        int port = AppPort, (int Index, Guid Id)? instance = null)
    {
        var application = new Dictionary<string, object>
        {
            ["application_id"] = appId,
            ["application_name"] = appName,
            ["name"] = appName,
            ["limits"] = new Dictionary<string, int> { ["mem"] = memoryMb, ["disk"] = diskMb },
            ["port"] = port,
        };
        if (instance is { } i)
        {
            application["instance_id"] = i.Id;
            application["instance_index"] = i.Index;
        }
        if (space is not null)
        {
            application["space_id"] = space.SpaceId;
            application["space_name"] = space.SpaceName;
            application["organization_id"] = space.OrgId;
            application["organization_name"] = space.OrgName;
        }
        var env = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["HOME"] = AppDir,
            ["LANG"] = "C.UTF-8",
            ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["MEMORY_LIMIT"] = $"{memoryMb}m",
            ["VCAP_APPLICATION"] = JsonSerializer.Serialize(application),
            ["VCAP_SERVICES"] = "{}",
        };
        if (instance is { } inst)
        {
            env["CF_INSTANCE_INDEX"] = inst.Index.ToString(CultureInfo.InvariantCulture);
            env["CF_INSTANCE_GUID"] = inst.Id.ToString();
        }
        return env;
    }
}
