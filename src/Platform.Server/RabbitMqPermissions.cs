using System.Text.RegularExpressions;
using Platform.Contracts.Messages;

namespace Platform.Server;

/// <summary>The three regular expressions of `rabbitmqctl set_permissions USER CONFIGURE WRITE READ`.</summary>
public sealed record RabbitMqPermissionSet(string Configure, string Write, string Read);

/// <summary>
/// What each role may do on RabbitMQ, in the resource names MassTransit uses: an event type T is published to the
/// fanout exchange "Platform.Contracts.Messages:T"; a command goes to queue Q through an exchange also named Q (the
/// sender declares and binds both); a consumer's queue Q is fed by an exchange Q bound from the exchanges of the events
/// it takes, and faults go to Q_error and Q_skipped. Declaring needs configure, publishing and being a binding's
/// destination write, consuming and being a binding's source read.
/// <para>So a cell may publish its reports and read its own queue only: it is refused when it publishes a staging
/// result or declares, binds or reads another cell's queue. The api and scheduler roles share the transactional outbox
/// (either one's dispatcher sends any row), so both may send what the outbox holds: StageApp, the cells' commands and
/// AppDesiredStateChanged.</para>
/// </summary>
public static class RabbitMqPermissions
{
    private sealed record Topology(string[] Publishes, string[] SendsTo, (string Queue, string[] Events)[] Consumes);

    // Names as regular expressions (already escaped). Keep in step with each role's consumer registrations.
    private static readonly string[] OutboxMessages = [nameof(AppDesiredStateChanged)];
    private static readonly string[] OutboxQueues = [Regex.Escape(Queues.Stage), Regex.Escape(Queues.Cell("")) + ".+"];

    private static Topology Of(Roles role, string? cellId) => role switch
    {
        Roles.Api => new(OutboxMessages, OutboxQueues,
        [
            ("staging-log", [nameof(StagingLog)]),
            ("staging-completed", [nameof(StagingCompleted)]),
            ("log-batch", [nameof(LogBatch)]),
            // A temporary queue per API process (every API keeps every stager's catalog).
            ("stager-catalog-api-.+", [nameof(StagerCatalogAdvertised)]),
            // And one for the dashboard's metrics history: every heartbeat and every router's request stats.
            ("metrics-api-metrics-.+", [nameof(CellHeartbeat), nameof(RouterAppStats)]),
        ]),
        Roles.Scheduler => new(OutboxMessages, OutboxQueues,
        [
            ("scheduler-instance-state", [nameof(InstanceStateChanged)]),
            ("scheduler-cell-heartbeat", [nameof(CellHeartbeat)]),
            ("scheduler-app-changed", [nameof(AppDesiredStateChanged)]),
        ]),
        Roles.Stager => new([nameof(StagingLog), nameof(StagingCompleted), nameof(StagerCatalogAdvertised)], [],
            [(Regex.Escape(Queues.Stage), [])]),
        Roles.Cell => new([nameof(InstanceStateChanged), nameof(CellHeartbeat), nameof(LogBatch)], [],
            [(Regex.Escape(Queues.Cell(cellId ?? throw new ArgumentException("a cell's permissions need its id", nameof(cellId)))), [])]),
        // A temporary queue per router process; access lines go out as LogBatch, request stats as RouterAppStats.
        Roles.Router => new([nameof(LogBatch), nameof(RouterAppStats)], [],
            [("route-change-router-.+", [nameof(InstanceStateChanged), nameof(AppDesiredStateChanged)])]),
        _ => new([], [], []),
    };

    public static RabbitMqPermissionSet For(Roles roles, string? cellId)
    {
        var configure = new SortedSet<string>(StringComparer.Ordinal);
        var write = new SortedSet<string>(StringComparer.Ordinal);
        var read = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var role in Enum.GetValues<Roles>().Where(r => r is not (Roles.None or Roles.All) && roles.HasFlag(r)))
        {
            var t = Of(role, cellId);
            foreach (var type in t.Publishes.Select(Exchange))
            {
                configure.Add(type);
                write.Add(type);
            }
            foreach (var queue in t.SendsTo)
            {
                configure.Add(queue);
                write.Add(queue);
                read.Add(queue); // the sender binds exchange Q (the source) to queue Q
            }
            foreach (var (queue, events) in t.Consumes)
            {
                foreach (var q in new[] { queue, queue + "_error", queue + "_skipped" })
                {
                    configure.Add(q);
                    write.Add(q);
                    read.Add(q);
                }
                foreach (var type in events.Select(Exchange))
                {
                    configure.Add(type);
                    read.Add(type); // the source of the binding to the consumer's exchange
                }
            }
        }
        return new(Anchor(configure), Anchor(write), Anchor(read));
    }

    private static string Exchange(string messageType) => Regex.Escape($"{typeof(AppDesiredStateChanged).Namespace}:{messageType}");

    // An empty set matches nothing ('^$' names no resource MassTransit uses).
    private static string Anchor(IEnumerable<string> names) => names.Any() ? $"^({string.Join('|', names)})$" : "^$";
}
