using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace Platform.Cell;

/// <summary>The cell's capacity and what its instances reserve of it, on the "Platform.Cell" meter.</summary>
public sealed class CellMetrics : IDisposable
{
    public const string MeterName = "Platform.Cell";
    private readonly Meter _meter = new(MeterName);

    public CellMetrics(InstanceManager instances, CellHeartbeater heartbeater, CellEvacuationState evacuation, IOptions<CellOptions> options)
    {
        var o = options.Value;
        var cell = new KeyValuePair<string, object?>("cell", o.Id);
        var zone = new KeyValuePair<string, object?>("zone", o.Zone);
        _meter.CreateObservableGauge("platform.cell.memory.capacity", () => new Measurement<long>(heartbeater.MemoryCapacityMb, cell, zone),
            unit: "MBy", description: "Memory the scheduler may place on this cell");
        _meter.CreateObservableGauge("platform.cell.memory.reserved", () => new Measurement<long>(instances.ReservedMemoryMb, cell, zone),
            unit: "MBy", description: "Memory the cell's instances were started with");
        _meter.CreateObservableGauge("platform.cell.disk.capacity", () => new Measurement<long>(o.DiskCapacityMb, cell, zone),
            unit: "MBy", description: "Disk the scheduler may place on this cell");
        _meter.CreateObservableGauge("platform.cell.disk.reserved", () => new Measurement<long>(instances.ReservedDiskMb, cell, zone),
            unit: "MBy", description: "Disk the cell's instances were started with");
        _meter.CreateObservableGauge("platform.cell.instances", () => new Measurement<long>(instances.Count, cell, zone),
            description: "Instances on this cell");
        _meter.CreateObservableGauge("platform.cell.evacuating", () => new Measurement<int>(evacuation.Evacuating ? 1 : 0, cell, zone),
            description: "1 while the cell is evacuating");
    }

    public void Dispose() => _meter.Dispose();
}
