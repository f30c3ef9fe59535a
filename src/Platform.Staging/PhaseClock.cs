using System.Diagnostics;
using System.Text;

namespace Platform.Staging;

/// <summary>How long each phase of a build took, for the stager's log ("unpack=41ms detect=83ms ..."): what to look at when staging is slow.</summary>
internal sealed class PhaseClock
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly StringBuilder _phases = new();
    private TimeSpan _last;

    /// <summary>Ends the phase that began at the previous mark (or the start).</summary>
    public void Mark(string phase)
    {
        var now = _clock.Elapsed;
        lock (_phases) _phases.Append($"{phase}={(now - _last).TotalMilliseconds:F0}ms ");
        _last = now;
    }

    public override string ToString()
    {
        lock (_phases) return $"{_phases}total={_clock.Elapsed.TotalMilliseconds:F0}ms";
    }
}
