using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Platform.Cli.Output;

namespace Platform.Cli.Commands;

/// <summary>plat cells (admins): each cell, what its instances reserve of its memory and disk, and its last heartbeat.</summary>
internal static class CellsCommand
{
    public static Command Create(CliEnvironment env)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var command = new Command("cells", "List the cells (admins): state, memory and disk reserved of capacity, instances, last heartbeat") { json };
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
            Table.Write(env.Out, ["cell", "host", "state", "memory", "disk", "instances", "last heartbeat"],
                cells.Select(c => (IReadOnlyList<string>)
                [
                    c.Id, c.Host, c.State,
                    $"{Format.Megabytes(c.MemoryUsedMb)} of {Format.Megabytes(c.MemoryCapacityMb)}",
                    c.DiskCapacityMb > 0 ? $"{Format.Megabytes(c.DiskUsedMb)} of {Format.Megabytes(c.DiskCapacityMb)}" : $"{Format.Megabytes(c.DiskUsedMb)} (unlimited)",
                    c.MaxInstances > 0 ? $"{c.Instances}/{c.MaxInstances}" : c.Instances.ToString(CultureInfo.InvariantCulture),
                    $"{c.SecondsSinceHeartbeat.ToString("0.#", CultureInfo.InvariantCulture)}s ago",
                ]));
            return 0;
        });
        return command;
    }
}
