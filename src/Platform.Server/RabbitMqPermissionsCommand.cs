namespace Platform.Server;

/// <summary>
/// `platd rabbitmq-permissions --roles cell --Cell:Id=cell-1`: the three regular expressions (configure, write, read),
/// one a line, that `rabbitmqctl set_permissions` takes for the user of a platd running those roles.
/// </summary>
public static class RabbitMqPermissionsCommand
{
    public static int Run(string[] args)
    {
        var roles = Roles.None;
        string? cellId = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--roles" && i + 1 < args.Length) roles = RoleParser.Parse(args[++i]);
            else if (args[i].StartsWith("--Cell:Id=", StringComparison.Ordinal)) cellId = args[i]["--Cell:Id=".Length..];
            else
            {
                Console.Error.WriteLine($"unknown argument '{args[i]}': usage: platd rabbitmq-permissions --roles ROLES [--Cell:Id=ID]");
                return 2;
            }
        }
        if (roles == Roles.None)
        {
            Console.Error.WriteLine("name the roles: platd rabbitmq-permissions --roles ROLES [--Cell:Id=ID]");
            return 2;
        }
        if (roles.HasFlag(Roles.Cell) && string.IsNullOrWhiteSpace(cellId))
        {
            Console.Error.WriteLine("a cell's permissions name its queue: give --Cell:Id=ID");
            return 2;
        }
        var p = RabbitMqPermissions.For(roles, cellId);
        Console.WriteLine(p.Configure);
        Console.WriteLine(p.Write);
        Console.WriteLine(p.Read);
        return 0;
    }
}
