using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Platform.Cell.Exec;

/// <summary>
/// The nonces this cell handed out for exec grants, each outstanding for Cell:ExecGrantSeconds by this cell's own
/// (monotonic) clock and forgotten once used: a grant is good once, and only shortly after the API asked for it.
/// </summary>
public sealed class ExecNonces(TimeProvider time, IOptions<CellOptions> options)
{
    /// <summary>Bounds memory when nonces are asked for and never used (anyone who reaches the listener may ask).</summary>
    public const int MaxOutstanding = 10_000;

    private readonly ConcurrentDictionary<string, long> _issued = new(StringComparer.Ordinal);

    public TimeSpan Lifetime { get; } = TimeSpan.FromSeconds(options.Value.ExecGrantSeconds);

    public enum Outcome { Used, Unknown, Expired }

    /// <summary>A new nonce, or null when too many are outstanding.</summary>
    public string? Issue()
    {
        if (_issued.Count >= MaxOutstanding) Sweep();
        if (_issued.Count >= MaxOutstanding) return null;
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        _issued[nonce] = time.GetTimestamp();
        return nonce;
    }

    /// <summary>Takes the nonce out (whatever the outcome, it cannot be presented again).</summary>
    public Outcome Consume(string nonce)
    {
        if (!_issued.TryRemove(nonce, out var issuedAt)) return Outcome.Unknown;
        return time.GetElapsedTime(issuedAt) > Lifetime ? Outcome.Expired : Outcome.Used;
    }

    private void Sweep()
    {
        foreach (var (nonce, issuedAt) in _issued)
            if (time.GetElapsedTime(issuedAt) > Lifetime) _issued.TryRemove(nonce, out _);
    }
}
