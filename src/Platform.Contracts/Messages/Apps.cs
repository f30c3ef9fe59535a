namespace Platform.Contracts.Messages;

/// <summary>
/// Published (from the API's outbox) when what is desired of an app changes: its routes, its state (started,
/// stopped, deleted), its instance count, or the revision it should run (as Diego's DesiredLRP changes). Routers reload
/// its routes; the scheduler converges it at once instead of at its next pass. It was AppRoutesChanged, a name that
/// said less than half of it.
/// </summary>
public sealed record AppDesiredStateChanged(Guid AppId, DateTimeOffset Timestamp);
