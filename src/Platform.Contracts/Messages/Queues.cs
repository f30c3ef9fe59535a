namespace Platform.Contracts.Messages;

/// <summary>Names of the queues commands are sent to. Events are published, not sent.</summary>
public static class Queues
{
    /// <summary>Where <see cref="StageApp"/> goes; every stager consumes from it.</summary>
    public const string Stage = "stage";

    /// <summary>The queue of one cell, for <see cref="StartInstance"/> and <see cref="StopInstance"/>.</summary>
    public static string Cell(string cellId) => $"cell-{cellId}";
}
