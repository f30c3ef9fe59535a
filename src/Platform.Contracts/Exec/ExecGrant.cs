using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Platform.Contracts.Exec;

/// <summary>
/// What the API gives a cell for one `plat exec`: this nonce (which the cell handed out and forgets once used or
/// after Cell:ExecGrantSeconds by its own clock), this instance, this user, this command (its argv digest). Signed
/// with HMAC-SHA256 under the key the API and the cells share (Api:ExecGrantKey = Cell:ExecGrantKey). It carries no
/// time of its own: the cell's nonce is the expiry, so no two hosts' clocks are ever compared.
/// Sent as <c>Authorization: ExecGrant &lt;base64url(payload)&gt;.&lt;base64url(hmac)&gt;</c>.
/// </summary>
public sealed record ExecGrant(string Nonce, Guid InstanceId, string User, string CommandDigest)
{
    public const string Scheme = "ExecGrant";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>SHA-256 of the argv, each argument length-prefixed, so ["a b"] and ["a", "b"] differ.</summary>
    public static string DigestOf(IReadOnlyList<string> command)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var arg in command)
        {
            var bytes = Encoding.UTF8.GetBytes(arg);
            BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
            sha.AppendData(length);
            sha.AppendData(bytes);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    public static ExecGrant For(string nonce, Guid instanceId, string user, IReadOnlyList<string> command) =>
        new(nonce, instanceId, user, DigestOf(command));

    /// <summary>The token to send: the payload and its signature.</summary>
    public string Sign(ExecGrantKey key)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(this, Json);
        return Base64Url(payload) + "." + Base64Url(HMACSHA256.HashData(key.Bytes, payload));
    }

    /// <summary>The grant a token carries if its signature is this key's (compared in constant time), else null.</summary>
    public static ExecGrant? Verify(string token, ExecGrantKey key)
    {
        var dot = token.IndexOf('.');
        if (dot <= 0 || dot != token.LastIndexOf('.')) return null;
        byte[] payload, signature;
        try
        {
            payload = System.Buffers.Text.Base64Url.DecodeFromChars(token.AsSpan(0, dot));
            signature = System.Buffers.Text.Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
        }
        catch (FormatException) { return null; }
        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(key.Bytes, payload), signature)) return null;
        try
        {
            var grant = JsonSerializer.Deserialize<ExecGrant>(payload, Json);
            return grant is { Nonce.Length: > 0, User: not null, CommandDigest.Length: > 0 } ? grant : null;
        }
        catch (JsonException) { return null; }
    }

    private static string Base64Url(byte[] data) => System.Buffers.Text.Base64Url.EncodeToString(data);
}

/// <summary>The shared secret exec grants are signed with (never logged: <see cref="ToString"/> hides it).</summary>
public sealed class ExecGrantKey
{
    /// <summary>Shorter keys are refused: a guessable key lets anyone on the network run commands in any instance.</summary>
    public const int MinLength = 16;

    internal byte[] Bytes { get; }

    private ExecGrantKey(byte[] bytes) => Bytes = bytes;

    /// <summary>The key a setting holds, or null with why not (unset, too short).</summary>
    public static (ExecGrantKey? Key, string? Error) Parse(string? value, string setting)
    {
        if (string.IsNullOrEmpty(value))
            return (null, $"{setting} is not set (the API's Api:ExecGrantKey and every cell's Cell:ExecGrantKey must be the same secret)");
        if (value.Length < MinLength) return (null, $"{setting} is too short: at least {MinLength} characters");
        return (new ExecGrantKey(Encoding.UTF8.GetBytes(value)), null);
    }

    public override string ToString() => "ExecGrantKey(***)";
}

/// <summary>A cell's answer to POST {execUrl}/v1/nonce: a nonce outstanding for ExpiresInSeconds by the cell's clock.</summary>
public sealed record ExecNonce(string Nonce, int ExpiresInSeconds);
