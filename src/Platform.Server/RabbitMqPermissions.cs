namespace Platform.Server;

public sealed record RabbitMqPermissionSet(string Configure, string Write, string Read);

public static class RabbitMqPermissions
{
    public static RabbitMqPermissionSet For(Roles roles, string? cellId) => new(".*", ".*", ".*");
}
