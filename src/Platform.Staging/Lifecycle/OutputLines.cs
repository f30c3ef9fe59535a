using System.Text;
using Platform.Sandbox.Exec;

namespace Platform.Staging.Lifecycle;

/// <summary>
/// Turns the chunks an exec'd command writes on each stream into whole lines (UTF-8 decoded across chunk
/// boundaries), handed on as they complete; what is left without a newline comes out at <see cref="Flush"/>.
/// </summary>
internal sealed class OutputLines(Action<ExecStream, string> onLine)
{
    private readonly Dictionary<ExecStream, (Decoder Decoder, StringBuilder Pending)> _streams = new()
    {
        [ExecStream.Stdout] = (Encoding.UTF8.GetDecoder(), new StringBuilder()),
        [ExecStream.Stderr] = (Encoding.UTF8.GetDecoder(), new StringBuilder()),
    };

    public ValueTask WriteAsync(ExecStream stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var (decoder, pending) = _streams[stream];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(data.Length)];
        var n = decoder.GetChars(data.Span, chars, flush: false);
        foreach (var c in chars.AsSpan(0, n))
        {
            if (c == '\n')
            {
                onLine(stream, pending.ToString().TrimEnd('\r'));
                pending.Clear();
            }
            else pending.Append(c);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Hands on the last line of each stream when it had no newline.</summary>
    public void Flush()
    {
        foreach (var (stream, (_, pending)) in _streams)
        {
            if (pending.Length == 0) continue;
            onLine(stream, pending.ToString());
            pending.Clear();
        }
    }
}
