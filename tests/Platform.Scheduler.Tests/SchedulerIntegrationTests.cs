using Platform.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Data.Outbox;
using Platform.TestSupport;

namespace Platform.Scheduler.Tests;

/// <summary>
/// The scheduler over a real Postgres, with a fake cell: the test delivers its heartbeats and state changes
/// to the consumers' handlers and reads the commands the scheduler leaves in the outbox.
/// </summary>
public sealed class SchedulerIntegrationTests : IAsyncLifetime
{
    private const string CellId = "cell-a";
    private readonly ManualTimeProvider _time = new();
    private TestDatabase _database = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = _database.ConnectionString,
            ["Outbox:DispatcherEnabled"] = "false", // the test reads the outbox itself
        }).Build();
        _services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(_time)
            .AddPlatformData(config)
            .AddPlatformScheduler(config)
            .BuildServiceProvider();
        await _services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _database.DisposeAsync();
    }

    private PlatformDbContext NewContext() => _services.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContext();
    private Converger Converger => _services.GetRequiredService<Converger>();

    // The fake cell's own history and clock: its versions order its reports; its clock may be off ours.
    private long _cellSequence;
    private TimeSpan _cellClockOffset;
    private ReportVersion NextVersion() => new(1, ++_cellSequence);
    private DateTimeOffset CellNow => _time.GetUtcNow() + _cellClockOffset;

    private Task HeartbeatAsync(params InstanceReport[] reports) => HeartbeatAsync(NextVersion(), reports);

    private Task HeartbeatAsync(ReportVersion version, params InstanceReport[] reports) =>
        _services.GetRequiredService<CellHeartbeatHandler>().HandleAsync(
            new CellHeartbeat(CellId, "cell-a.local", 4096, 20480, 20, reports, version, CellNow), CancellationToken.None);

    private InstanceReport Running(InstanceEntity i) => new(i.Id, i.AppId, i.Index, InstanceState.Running, null, null, null, NextVersion());

    private Task ReportAsync(InstanceEntity instance, InstanceState state, string? reason = null, int? exitCode = null,
        ReportVersion? version = null) =>
        _services.GetRequiredService<InstanceStateHandler>().HandleAsync(
            new InstanceStateChanged(instance.Id, instance.AppId, instance.Index, CellId, state,
                state == InstanceState.Running ? $"10.0.0.{instance.Index + 2}:8080" : null, "cell-a.local:61000",
                reason, exitCode, version ?? NextVersion(), CellNow),
            CancellationToken.None);

    private async Task<List<EventEntity>> CrashEventsAsync()
    {
        await using var db = NewContext();
        return await db.Events.Where(e => e.Type == "app.crash").OrderBy(e => e.Timestamp).ToListAsync();
    }

    private async Task<List<(T Message, string? Queue)>> OutboxAsync<T>()
    {
        await using var db = NewContext();
        var rows = await db.OutboxMessages.OrderBy(m => m.Id).ToListAsync();
        return rows.Where(r => r.MessageType == typeof(T).FullName)
            .Select(r => ((T)OutboxSerializer.Deserialize(r.MessageType, r.Body), r.Queue)).ToList();
    }

    private async Task<List<InstanceEntity>> InstancesAsync()
    {
        await using var db = NewContext();
        return await db.Instances.OrderBy(i => i.Index).ThenBy(i => i.CreatedAt).ToListAsync();
    }

    private async Task<AppEntity> SeedStartedAppAsync(int instances, Guid? spaceId = null, string name = "wms")
    {
        await using var db = NewContext();
        var app = new AppEntity
        {
            Id = Guid.NewGuid(),
            Name = name,
            State = AppStates.Started,
            Instances = instances,
            MemoryMb = 512,
            DiskMb = 1024,
            Env = new() { ["GREETING"] = "hello" },
            CreatedAt = _time.GetUtcNow(),
            UpdatedAt = _time.GetUtcNow(),
        };
        if (spaceId is { } space) app.SpaceId = space;
        var droplet = new DropletEntity
        {
            Id = Guid.NewGuid(),
            AppId = app.Id,
            BuildId = Guid.NewGuid(),
            Layers = [new LayerRef("sha256:" + new string('a', 64), 100, "stack:bookworm"), new LayerRef("sha256:" + new string('b', 64), 10, "app")],
            StartCommand = "./run.sh",
            CreatedAt = _time.GetUtcNow(),
        };
        app.CurrentDropletId = droplet.Id;
        db.Apps.Add(app);
        db.Droplets.Add(droplet);
        await db.SaveChangesAsync();
        return app;
    }

    [Fact]
    public async Task StartInstance_carries_the_rules_of_the_spaces_security_groups_and_the_running_defaults()
    {
        var now = _time.GetUtcNow();
        var org = Guid.NewGuid();
        Guid bound = Guid.NewGuid(), unbound = Guid.NewGuid();
        var database = new SecurityGroupRule("tcp", "10.0.0.0/8", "5432", Description: "platform database");
        var dns = new SecurityGroupRule("udp", "10.0.0.2", "53");
        await using (var db = NewContext())
        {
            db.Orgs.Add(new OrgEntity { Id = org, Name = "asg", CreatedAt = now });
            db.Spaces.Add(new SpaceEntity { Id = bound, OrgId = org, Name = "bound", CreatedAt = now });
            db.Spaces.Add(new SpaceEntity { Id = unbound, OrgId = org, Name = "unbound", CreatedAt = now });
            var db1 = new SecurityGroupEntity { Id = Guid.NewGuid(), Name = "db", Rules = [database], CreatedAt = now, UpdatedAt = now };
            // "dup" repeats the running default's rule: the instance gets it once.
            var dup = new SecurityGroupEntity { Id = Guid.NewGuid(), Name = "dup", Rules = [dns], CreatedAt = now, UpdatedAt = now };
            db.SecurityGroups.AddRange(db1, dup,
                new SecurityGroupEntity { Id = Guid.NewGuid(), Name = "dns", Rules = [dns], RunningDefault = true, CreatedAt = now, UpdatedAt = now },
                new SecurityGroupEntity { Id = Guid.NewGuid(), Name = "unused", Rules = [new("all", "192.168.0.0/16")], CreatedAt = now, UpdatedAt = now });
            db.SecurityGroupSpaces.AddRange(
                new SecurityGroupSpaceEntity { SecurityGroupId = db1.Id, SpaceId = bound, CreatedAt = now },
                new SecurityGroupSpaceEntity { SecurityGroupId = dup.Id, SpaceId = bound, CreatedAt = now });
            await db.SaveChangesAsync();
        }
        var inBound = await SeedStartedAppAsync(instances: 1, spaceId: bound);
        var inUnbound = await SeedStartedAppAsync(instances: 1, spaceId: unbound);
        await HeartbeatAsync();

        await Converger.ConvergeOnceAsync(CancellationToken.None);

        var starts = (await OutboxAsync<StartInstance>()).Select(s => s.Message).ToList();
        Assert.Equal([database.ToEgressRule(), dns.ToEgressRule()], starts.Single(s => s.AppId == inBound.Id).Egress);
        Assert.Equal([dns.ToEgressRule()], starts.Single(s => s.AppId == inUnbound.Id).Egress);

        // Without a running default, an instance of the unbound space gets the cell's defaults only (no rules at all),
        // and the rules an instance got hold until it is started again.
        await using (var db = NewContext())
        {
            (await db.SecurityGroups.SingleAsync(g => g.Name == "dns")).RunningDefault = false;
            await db.SaveChangesAsync();
        }
        var later = await SeedStartedAppAsync(instances: 1, spaceId: unbound, name: "later");
        await Converger.ConvergeOnceAsync(CancellationToken.None);
        starts = (await OutboxAsync<StartInstance>()).Select(s => s.Message).ToList();
        Assert.Null(starts.Single(s => s.AppId == later.Id).Egress);
        Assert.Equal(3, starts.Count);
    }

    [Fact]
    public async Task An_app_is_placed_crashes_are_replaced_and_scaling_down_stops_the_surplus()
    {
        var app = await SeedStartedAppAsync(instances: 3);
        await HeartbeatAsync();

        await Converger.ConvergeOnceAsync(CancellationToken.None);

        var starts = await OutboxAsync<StartInstance>();
        Assert.Equal(3, starts.Count);
        Assert.All(starts, s => Assert.Equal(Queues.Cell(CellId), s.Queue));
        Assert.Equal([0, 1, 2], starts.Select(s => s.Message.Index).Order());
        var first = starts[0].Message;
        Assert.Equal(("wms", CellId, 512, 1024, "./run.sh", 2), (first.AppName, first.CellId, first.MemoryMb, first.DiskMb, first.Droplet.StartCommand, first.Droplet.Layers.Count));
        Assert.Equal("hello", first.Env["GREETING"]);
        var instances = await InstancesAsync();
        Assert.Equal(starts.Select(s => s.Message.InstanceId).Order(), instances.Select(i => i.Id).Order());
        Assert.All(instances, i => Assert.Equal(InstanceStates.Starting, i.State));

        // Converged: a second pass adds nothing.
        await Converger.ConvergeOnceAsync(CancellationToken.None);
        Assert.Equal(3, (await OutboxAsync<StartInstance>()).Count);

        _time.Advance(TimeSpan.FromSeconds(1));
        foreach (var instance in instances) await ReportAsync(instance, InstanceState.Running);
        instances = await InstancesAsync();
        Assert.All(instances, i => Assert.Equal(InstanceStates.Running, i.State));
        Assert.Equal("10.0.0.3:8080", instances[1].Address);
        Assert.Equal("cell-a.local:61000", instances[1].HostAddress);

        // Index 1 crashes: a CRASHED row, an event and a log line, then a replacement.
        _time.Advance(TimeSpan.FromSeconds(1));
        var crash = NextVersion();
        await ReportAsync(instances[1], InstanceState.Crashed, "out of memory", 137, crash);
        await ReportAsync(instances[1], InstanceState.Crashed, "out of memory", 137, crash); // delivered twice: no second event
        await using (var db = NewContext())
        {
            var crashed = await db.Instances.SingleAsync(i => i.Id == instances[1].Id);
            Assert.Equal((InstanceStates.Crashed, 137), (crashed.State, crashed.ExitCode));
            var crashEvent = await db.Events.SingleAsync(e => e.AppId == app.Id && e.Type == "app.crash");
            Assert.Equal("instance 1 crashed: out of memory (exit 137)", crashEvent.Description);
            var line = await db.LogLines.SingleAsync(l => l.AppId == app.Id);
            Assert.Equal(("CELL", 1, "ERR"), (line.Source, line.SourceIndex, line.Stream));
            Assert.Contains("out of memory", line.Text);
        }
        await HeartbeatAsync(instances.Where(i => i.Index != 1).Select(Running).ToArray());

        await Converger.ConvergeOnceAsync(CancellationToken.None);

        starts = await OutboxAsync<StartInstance>();
        Assert.Equal(4, starts.Count);
        var replacement = starts[3].Message;
        Assert.Equal(1, replacement.Index);
        instances = await InstancesAsync();
        Assert.Equal(3, instances.Count);
        Assert.DoesNotContain(instances, i => i.State == InstanceStates.Crashed);
        Assert.Equal(1, instances.Single(i => i.Id == replacement.InstanceId).CrashCount);

        // Scale to 1: indices 1 and 2 are stopped.
        await using (var db = NewContext())
        {
            (await db.Apps.SingleAsync()).Instances = 1;
            await db.SaveChangesAsync();
        }
        _time.Advance(TimeSpan.FromSeconds(1));
        await Converger.ConvergeOnceAsync(CancellationToken.None);

        var stops = await OutboxAsync<StopInstance>();
        Assert.Equal(2, stops.Count);
        Assert.All(stops, s => Assert.Equal(Queues.Cell(CellId), s.Queue));
        instances = await InstancesAsync();
        Assert.Equal(stops.Select(s => s.Message.InstanceId).Order(), instances.Where(i => i.Index > 0).Select(i => i.Id).Order());
        Assert.All(instances.Where(i => i.Index > 0), i => Assert.Equal(InstanceStates.Stopping, i.State));

        // The cell confirms one stop and drops the other from its heartbeat: both rows go.
        _time.Advance(TimeSpan.FromSeconds(1));
        var stopping = instances.Where(i => i.Index > 0).ToList();
        await ReportAsync(stopping[0], InstanceState.Stopped);
        await HeartbeatAsync(Running(instances[0]));
        Assert.Equal([instances[0].Id], (await InstancesAsync()).Select(i => i.Id));
        await Converger.ConvergeOnceAsync(CancellationToken.None);
        Assert.Equal(2, (await OutboxAsync<StopInstance>()).Count);
        Assert.Equal(4, (await OutboxAsync<StartInstance>()).Count);
    }

    [Fact]
    public async Task Instances_of_a_cell_that_stops_heartbeating_move_to_another_cell()
    {
        var app = await SeedStartedAppAsync(instances: 1);
        await HeartbeatAsync();
        await Converger.ConvergeOnceAsync(CancellationToken.None);
        var original = Assert.Single(await InstancesAsync());
        Assert.Equal(CellId, original.CellId);

        _time.Advance(TimeSpan.FromSeconds(20));
        await _services.GetRequiredService<CellHeartbeatHandler>().HandleAsync(
            new CellHeartbeat("cell-b", "cell-b.local", 4096, 0, 20, [], new ReportVersion(1, 1), _time.GetUtcNow()), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(11)); // cell-a silent for 31 s

        await Converger.ConvergeOnceAsync(CancellationToken.None);

        var moved = Assert.Single(await InstancesAsync());
        Assert.Equal(("cell-b", 0), (moved.CellId, moved.Index));
        Assert.NotEqual(original.Id, moved.Id);
        Assert.Contains(await OutboxAsync<StartInstance>(), s => s.Queue == Queues.Cell("cell-b") && s.Message.InstanceId == moved.Id);
        await using var db = NewContext();
        Assert.Contains(await db.LogLines.Where(l => l.AppId == app.Id).ToListAsync(), l => l.Text.Contains("lost"));
    }

    [Fact]
    public async Task No_room_is_reported_once_not_on_every_pass()
    {
        var app = await SeedStartedAppAsync(instances: 9); // 9 x 512 MB > 4096 MB
        await HeartbeatAsync();

        await Converger.ConvergeOnceAsync(CancellationToken.None);
        await Converger.ConvergeOnceAsync(CancellationToken.None);

        Assert.Equal(8, (await OutboxAsync<StartInstance>()).Count);
        await using var db = NewContext();
        var placementFailed = await db.Events.Where(e => e.AppId == app.Id && e.Type == "app.placement-failed").ToListAsync();
        Assert.Contains("insufficient resources", Assert.Single(placementFailed).Description);
    }

    [Fact]
    public async Task A_state_change_for_an_instance_we_no_longer_have_or_older_than_the_rows_last_report_is_ignored()
    {
        await SeedStartedAppAsync(instances: 1);
        await HeartbeatAsync();
        await Converger.ConvergeOnceAsync(CancellationToken.None);
        var instance = Assert.Single(await InstancesAsync());

        var older = NextVersion();
        await ReportAsync(instance, InstanceState.Starting);
        await ReportAsync(instance, InstanceState.Crashed, "exited 1", 1, older); // overtaken by the report after it
        await ReportAsync(new InstanceEntity { Id = Guid.NewGuid(), AppId = instance.AppId, CellId = CellId }, InstanceState.Crashed, exitCode: 1);

        var after = Assert.Single(await InstancesAsync());
        Assert.Equal(InstanceStates.Starting, after.State);
        await using var db = NewContext();
        Assert.Equal(0, await db.Events.CountAsync());
    }

    [Theory]
    [InlineData(60)]
    [InlineData(-60)]
    [InlineData(0)]
    public async Task A_cell_whose_clock_is_off_is_handled_exactly_like_one_in_sync(int cellClockOffsetSeconds)
    {
        _cellClockOffset = TimeSpan.FromSeconds(cellClockOffsetSeconds);
        await SeedStartedAppAsync(instances: 1);
        await HeartbeatAsync();
        await Converger.ConvergeOnceAsync(CancellationToken.None);
        var first = Assert.Single(await InstancesAsync());

        // Starts, is routed (RUNNING), and stays so through heartbeats.
        _time.Advance(TimeSpan.FromSeconds(1));
        await ReportAsync(first, InstanceState.Starting);
        await ReportAsync(first, InstanceState.Running);
        _time.Advance(TimeSpan.FromSeconds(5));
        await HeartbeatAsync(Running(first));
        Assert.Equal(InstanceStates.Running, Assert.Single(await InstancesAsync()).State);

        // Crashes, is reported once with its reason, and is replaced at once (the first crashes restart without delay).
        _time.Advance(TimeSpan.FromSeconds(1));
        await ReportAsync(first, InstanceState.Crashed, "exited 3", 3);
        await HeartbeatAsync();
        await Converger.ConvergeOnceAsync(CancellationToken.None);
        var replacement = Assert.Single(await InstancesAsync(), i => i.State == InstanceStates.Starting);
        Assert.Equal((0, 1), (replacement.Index, replacement.CrashCount));
        Assert.Equal("instance 0 crashed: exited 3", Assert.Single(await CrashEventsAsync()).Description);

        // The replacement starts too, with times of our own clock on the row.
        _time.Advance(TimeSpan.FromSeconds(1));
        await ReportAsync(replacement, InstanceState.Running);
        var running = Assert.Single(await InstancesAsync(), i => i.Id == replacement.Id);
        Assert.Equal((InstanceStates.Running, _time.GetUtcNow()), (running.State, running.UpdatedAt));
    }

    [Fact]
    public async Task A_crash_whose_report_a_heartbeat_overtook_is_recorded_once_with_its_reason()
    {
        await SeedStartedAppAsync(instances: 1);
        await HeartbeatAsync();
        await Converger.ConvergeOnceAsync(CancellationToken.None);
        var instance = Assert.Single(await InstancesAsync());
        await ReportAsync(instance, InstanceState.Running);

        // The cell records the crash (version v), then takes a heartbeat that still lists the instance as ended; the
        // heartbeat reaches us first.
        var crash = NextVersion();
        var ended = new InstanceReport(instance.Id, instance.AppId, 0, InstanceState.Crashed, null, null, "killed by signal 9", crash, 137);
        await HeartbeatAsync(ended);
        await ReportAsync(instance, InstanceState.Crashed, "killed by signal 9", 137, crash);
        await HeartbeatAsync(ended);

        var row = Assert.Single(await InstancesAsync());
        Assert.Equal((InstanceStates.Crashed, 137), (row.State, row.ExitCode));
        Assert.Equal("instance 0 crashed: killed by signal 9 (exit 137)", Assert.Single(await CrashEventsAsync()).Description);
    }

    [Fact]
    public async Task A_heartbeat_that_a_newer_one_overtook_changes_nothing()
    {
        await SeedStartedAppAsync(instances: 1);
        await HeartbeatAsync();
        await Converger.ConvergeOnceAsync(CancellationToken.None);
        var instance = Assert.Single(await InstancesAsync());

        var stale = NextVersion(); // taken before the cell had the instance
        await ReportAsync(instance, InstanceState.Running);
        await HeartbeatAsync(Running(instance));
        await HeartbeatAsync(stale);

        Assert.Equal(InstanceStates.Running, Assert.Single(await InstancesAsync()).State);
        Assert.Empty(await CrashEventsAsync());
    }
}
