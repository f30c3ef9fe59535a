namespace Platform.Contracts.Messages;

/// <summary>
/// Where a cell's report stands in that cell's own history, as Diego's modification tags: the cell agent increments
/// <see cref="Sequence"/> with every change it makes to an instance and with every heartbeat it takes, and a new agent
/// starts a new, larger <see cref="Epoch"/>. The scheduler orders a cell's reports by these versions only: never by
/// timestamps, since the cell's clock need not agree with the scheduler's, and a message can overtake another on the bus.
/// </summary>
public readonly record struct ReportVersion(long Epoch, long Sequence) : IComparable<ReportVersion>
{
    public int CompareTo(ReportVersion other) =>
        Epoch != other.Epoch ? Epoch.CompareTo(other.Epoch) : Sequence.CompareTo(other.Sequence);

    public static bool operator <(ReportVersion a, ReportVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(ReportVersion a, ReportVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(ReportVersion a, ReportVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(ReportVersion a, ReportVersion b) => a.CompareTo(b) >= 0;

    public override string ToString() => $"{Epoch}.{Sequence}";
}
