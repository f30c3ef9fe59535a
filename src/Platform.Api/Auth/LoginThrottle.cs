using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Platform.Api.Auth;

/// <summary>
/// Rate limits for sign-in, with the runtime's rate limiters (System.Threading.RateLimiting, what ASP.NET Core's
/// rate-limiting middleware is made of): failed logins per username (so a password cannot be guessed by trying many,
/// from many addresses) and attempts per client address (so one client cannot try many names). Fixed one-minute
/// windows; per API process.
/// </summary>
public sealed class LoginThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failuresPerUser;
    private readonly PartitionedRateLimiter<string> _attemptsPerAddress;

    public LoginThrottle(IOptions<ApiOptions> options, TimeProvider time)
    {
        var o = options.Value;
        _failuresPerUser = PartitionedRateLimiter.Create<string, string>(name => RateLimitPartition.GetFixedWindowLimiter(name,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = Math.Max(1, o.LoginFailuresPerUserPerMinute), Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        _attemptsPerAddress = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = Math.Max(1, o.LoginAttemptsPerAddressPerMinute), Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
    }

    /// <summary>Counts an attempt from the address; false when the address has used up its attempts for now.</summary>
    public bool TryAttempt(string address)
    {
        using var lease = _attemptsPerAddress.AttemptAcquire(address);
        return lease.IsAcquired;
    }

    /// <summary>Whether the username may try again: false once it has failed too often lately.</summary>
    public bool MayTry(string username)
    {
        using var lease = _failuresPerUser.AttemptAcquire(Key(username), 0);
        return lease.IsAcquired;
    }

    /// <summary>Counts a failed login of the username.</summary>
    public void Failed(string username)
    {
        using var _ = _failuresPerUser.AttemptAcquire(Key(username));
    }

    private static string Key(string username) => username.Trim().ToLowerInvariant();

    public void Dispose()
    {
        _failuresPerUser.Dispose();
        _attemptsPerAddress.Dispose();
    }
}
