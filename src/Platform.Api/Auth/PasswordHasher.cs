using System.Globalization;
using System.Security.Cryptography;

namespace Platform.Api.Auth;

/// <summary>
/// PBKDF2-SHA256 password hashes stored as "pbkdf2$iterations$salt-base64$hash-base64", at OWASP's recommended
/// 600,000 iterations. Hashes made with fewer (the platform used 100,000 before) still verify and are rehashed at the
/// next successful login (<see cref="NeedsRehash"/>).
/// </summary>
public static class PasswordHasher
{
    public const int Iterations = 600_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public static string Hash(string password) => Hash(password, Iterations);

    /// <summary>A hash with another iteration count: for tests of the upgrade path only.</summary>
    public static string Hash(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture,
            $"pbkdf2${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2"
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < 1)
            return false;
        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Whether a (verified) stored hash is weaker than today's and should be replaced.</summary>
    public static bool NeedsRehash(string stored) =>
        stored.Split('$') is not [_, var n, _, _]
        || !int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var iterations)
        || iterations < Iterations;

    /// <summary>
    /// A hash of a random password, verified against when a login names a user that does not exist, so that an
    /// unknown username costs the same time as a wrong password and names cannot be probed by timing.
    /// </summary>
    public static readonly Lazy<string> DecoyHash = new(() => Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));
}
