namespace Platform.Bus;

/// <summary>The parts of an amqp:// URL that MassTransit's host configuration takes one by one.</summary>
public sealed record RabbitMqAddress(string Host, ushort Port, string VirtualHost, string Username, string Password, bool UseTls)
{
    public static RabbitMqAddress Parse(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
            throw new InvalidOperationException("Bus:RabbitMq:Url is not set: give amqp://user:pass@host:port/vhost, or use Bus:Transport=InMemory.");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps") || string.IsNullOrEmpty(uri.Host))
            throw new InvalidOperationException($"Bus:RabbitMq:Url '{Redact(url)}' is not an amqp://user:pass@host:port/vhost URL.");

        var tls = uri.Scheme == "amqps";
        var port = uri.IsDefaultPort || uri.Port <= 0 ? (tls ? 5671 : 5672) : uri.Port;
        var userInfo = uri.UserInfo.Split(':', 2);
        var username = userInfo[0].Length > 0 ? Uri.UnescapeDataString(userInfo[0]) : "guest";
        var password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : "guest";
        var path = uri.AbsolutePath.Trim('/');
        var vhost = path.Length == 0 ? "/" : Uri.UnescapeDataString(path);
        return new RabbitMqAddress(uri.Host, (ushort)port, vhost, username, password, tls);
    }

    /// <summary>The URL without its password, for messages and logs.</summary>
    public static string Redact(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Contains(':')
            ? url.Replace(uri.UserInfo, uri.UserInfo.Split(':')[0] + ":***")
            : url;
}
