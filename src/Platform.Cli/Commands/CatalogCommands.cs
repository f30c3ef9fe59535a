using System.CommandLine;
using System.Text.Json;
using Platform.Cli.Output;

namespace Platform.Cli.Commands;

/// <summary>buildpacks, stacks: what the platform's stagers can build with.</summary>
internal static class CatalogCommands
{
    public static Command Buildpacks(CliEnvironment env)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var command = new Command("buildpacks", "List the buildpacks in detect order, with their versions and stack") { json };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = CommandSupport.LoggedInClient(env);
            var buildpacks = await api.BuildpacksAsync(ct);
            if (parse.GetValue(json))
            {
                env.Out.WriteLine(JsonSerializer.Serialize(buildpacks, AppCommands.Json));
                return 0;
            }
            if (buildpacks.Count == 0)
            {
                env.Out.WriteLine("No buildpacks found (no stager has reported in yet).");
                return 0;
            }
            Table.Write(env.Out, ["position", "name", "version", "stack", "details"],
                buildpacks.Select(b => (IReadOnlyList<string>)
                [b.Position.ToString(System.Globalization.CultureInfo.InvariantCulture), b.Name, b.Version, b.Stack, b.Error ?? ""]));
            return 0;
        });
        return command;
    }

    /// <summary>`plat cells` (admins): every cell with its zone, address, capacity used, instances, state and last heartbeat.</summary>
    public static Command Cells(CliEnvironment env)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var command = new Command("cells", "List the cells (admins): zone, address, memory and disk used of capacity, instances, state, last heartbeat") { json };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = CommandSupport.LoggedInClient(env);
            var cells = await api.CellsAsync(ct);
            if (parse.GetValue(json))
            {
                env.Out.WriteLine(JsonSerializer.Serialize(cells, AppCommands.Json));
                return 0;
            }
            if (cells.Count == 0)
            {
                env.Out.WriteLine("No cells found (no cell has sent a heartbeat yet).");
                return 0;
            }
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            Table.Write(env.Out, ["id", "zone", "address", "memory", "disk", "instances", "state", "last heartbeat"],
                cells.Select(c => (IReadOnlyList<string>)
                [c.Id, c.Zone.Length > 0 ? c.Zone : "-", c.Host,
                 $"{Format.Megabytes(c.MemoryUsedMb)} of {Format.Megabytes(c.MemoryCapacityMb)}",
                 $"{Format.Megabytes(c.DiskUsedMb)} of {Format.Megabytes(c.DiskCapacityMb)}",
                 c.MaxInstances > 0 ? $"{c.Instances}/{c.MaxInstances}" : c.Instances.ToString(inv),
                 c.State, $"{Format.Time(c.LastHeartbeat)} ({c.SecondsSinceHeartbeat.ToString("0.0", inv)} s ago)"]));
            return 0;
        });
        return command;
    }

    public static Command Stacks(CliEnvironment env)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var command = new Command("stacks", "List the stacks apps are staged on, with the digest of their layer") { json };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = CommandSupport.LoggedInClient(env);
            var stacks = await api.StacksAsync(ct);
            if (parse.GetValue(json))
            {
                env.Out.WriteLine(JsonSerializer.Serialize(stacks, AppCommands.Json));
                return 0;
            }
            if (stacks.Count == 0)
            {
                env.Out.WriteLine("No stacks found (no stager has reported in yet).");
                return 0;
            }
            Table.Write(env.Out, ["name", "description", "layer"],
                stacks.Select(s => (IReadOnlyList<string>)
                [s.Name, s.Description, s.LayerDigest is { } d ? $"{d} ({Format.Bytes(s.LayerSize ?? 0)})" : "not packed yet"]));
            return 0;
        });
        return command;
    }
}
