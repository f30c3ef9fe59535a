namespace Platform.Scheduler;

/// <summary>Configuration section "Scheduler".</summary>
public sealed class SchedulerOptions
{
    public const string Section = "Scheduler";

    /// <summary>Seconds between convergence passes (events trigger one sooner).</summary>
    public double ConvergeIntervalSeconds { get; set; } = 2;

    /// <summary>A cell whose last heartbeat is older than this is lost: nothing new goes there and its instances move.</summary>
    public double CellTimeoutSeconds { get; set; } = 30;

    /// <summary>How long a STARTING instance may go unreported by its cell (the StartInstance may still be on its way).</summary>
    public double StartGraceSeconds { get; set; } = 60;

    /// <summary>A STOPPING instance its cell still runs after this long gets its StopInstance again.</summary>
    public double StopResendSeconds { get; set; } = 30;

    /// <summary>
    /// How long a cell waits, after the routers were told to drop a RUNNING instance, before it sends it SIGTERM: no new
    /// request reaches an instance about to go, and those in flight finish.
    /// </summary>
    public double DrainSeconds { get; set; } = 2;

    /// <summary>Crashes of a deployment's new instances that fail it (back to the previous revision).</summary>
    public int DeploymentMaxCrashes { get; set; } = 3;

    /// <summary>
    /// How often a standby scheduler tries to become the active one (a Postgres session advisory lock that the active
    /// scheduler holds on a connection of its own): a dead scheduler's lock goes with its connection, so another takes
    /// over within about this long.
    /// </summary>
    public double LeaderPollSeconds { get; set; } = 1;

    public TimeSpan LeaderPoll => TimeSpan.FromSeconds(LeaderPollSeconds);
    public TimeSpan ConvergeInterval => TimeSpan.FromSeconds(ConvergeIntervalSeconds);
    public TimeSpan CellTimeout => TimeSpan.FromSeconds(CellTimeoutSeconds);
    public TimeSpan StartGrace => TimeSpan.FromSeconds(StartGraceSeconds);
    public TimeSpan StopResend => TimeSpan.FromSeconds(StopResendSeconds);

    public void Validate()
    {
        if (ConvergeIntervalSeconds <= 0) throw new InvalidOperationException("Scheduler:ConvergeIntervalSeconds must be positive.");
        if (CellTimeoutSeconds <= 0) throw new InvalidOperationException("Scheduler:CellTimeoutSeconds must be positive.");
        if (StartGraceSeconds <= 0) throw new InvalidOperationException("Scheduler:StartGraceSeconds must be positive.");
        if (LeaderPollSeconds <= 0) throw new InvalidOperationException("Scheduler:LeaderPollSeconds must be positive.");
        if (StopResendSeconds <= 0) throw new InvalidOperationException("Scheduler:StopResendSeconds must be positive.");
    }
}
