using System.Security.Cryptography;
using System.Text;

namespace Platform.Api.Auth;

/// <summary>API tokens: 32 random bytes, base64url; only their SHA-256 (hex) is stored.</summary>
public static class TokenHasher
{
    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    internal static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
