using Platform.Contracts.Messages;
using Platform.Data.Entities;

namespace Platform.Scheduler;

public enum InstanceTransition
{
    /// <summary>Nothing new (or the report is behind what we know).</summary>
    None,
    /// <summary>STARTING became RUNNING: take the addresses.</summary>
    BecameRunning,
    /// <summary>The instance died without being asked to: mark CRASHED, tell the user, let convergence replace it.</summary>
    Crashed,
    /// <summary>A stop we asked for is done: the row goes.</summary>
    Gone,
}

/// <summary>
/// How a state a cell reports moves the row we keep, for state-change messages and heartbeats alike.
/// Only forward moves count: a late STARTING never undoes RUNNING, and CRASHED is final for a row.
/// A live instance that reports STOPPED was not asked to stop (we would have marked it STOPPING), so it crashed.
/// </summary>
public static class InstanceTransitions
{
    public static InstanceTransition Decide(string rowState, InstanceState reported) => (rowState, reported) switch
    {
        (InstanceStates.Starting, InstanceState.Running) => InstanceTransition.BecameRunning,
        (InstanceStates.Starting or InstanceStates.Running, InstanceState.Crashed or InstanceState.Stopped) => InstanceTransition.Crashed,
        (InstanceStates.Stopping, InstanceState.Crashed or InstanceState.Stopped) => InstanceTransition.Gone,
        (InstanceStates.Stopped, _) => InstanceTransition.Gone,
        _ => InstanceTransition.None,
    };

    /// <summary>What a crash looks like to the user: the cell's reason, else the exit code.</summary>
    public static string DescribeCrash(InstanceState reported, string? reason, int? exitCode)
    {
        if (!string.IsNullOrWhiteSpace(reason))
            return exitCode is { } c && !reason.Contains(c.ToString(System.Globalization.CultureInfo.InvariantCulture))
                ? $"{reason} (exit {c})"
                : reason;
        if (exitCode is { } code) return $"exited {code}";
        return reported == InstanceState.Stopped ? "stopped unexpectedly" : "crashed";
    }
}
