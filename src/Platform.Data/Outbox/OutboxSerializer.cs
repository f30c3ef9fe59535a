using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using Platform.Contracts.Messages;

namespace Platform.Data.Outbox;

/// <summary>
/// Turns bus messages into outbox rows and back. Only types of Platform.Contracts are accepted: they are
/// the ones every role can deserialize, and resolving names from one known assembly keeps a stored type name
/// from loading anything else.
/// </summary>
public static class OutboxSerializer
{
    private static readonly Assembly ContractsAssembly = typeof(IMessageDispatcher).Assembly;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly ConcurrentDictionary<string, Type?> Types = new();

    public static (string MessageType, string Body) Serialize(object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var type = message.GetType();
        if (type.Assembly != ContractsAssembly || type.FullName is null)
            throw new ArgumentException(
                $"{type} is not a Platform.Contracts message type: only those can go through the outbox.", nameof(message));
        return (type.FullName, JsonSerializer.Serialize(message, type, Json));
    }

    public static object Deserialize(string messageType, string body)
    {
        var type = Types.GetOrAdd(messageType, name => ContractsAssembly.GetType(name, throwOnError: false))
            ?? throw new InvalidOperationException($"Outbox message type '{messageType}' is not in Platform.Contracts.");
        return JsonSerializer.Deserialize(body, type, Json)
            ?? throw new InvalidOperationException($"Outbox message of type '{messageType}' has an empty body.");
    }
}
