using System.CommandLine;

namespace Platform.Cli.Commands;

internal static class LogsCommand
{
    public static Command Create(CliEnvironment env)
    {
        var name = CommandSupport.AppNameArgument();
        var recent = new Option<bool>("--recent") { Description = "Print the recent lines and exit instead of following" };
        var command = new Command("logs", "Show an app's logs (staging, app output, router), following them until Ctrl-C") { name, recent };
        command.SetRun(env, async (parse, ct) =>
        {
            var app = parse.GetValue(name)!;
            using var api = CommandSupport.LoggedInClient(env);
            if (parse.GetValue(recent))
            {
                foreach (var line in await api.LogsAsync(app, null, 500, ct)) env.Out.WriteLine(line.Render());
                return 0;
            }
            // The recent lines, then each new one as the API pushes it (one Server-Sent Events stream, resumed after
            // the last line if it drops): no polling.
            try
            {
                await foreach (var line in api.FollowLogsAsync(app, null, 500, ct))
                {
                    env.Out.WriteLine(line.Render());
                    env.Out.Flush();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl-C ends following normally.
            }
            return 0;
        });
        return command;
    }
}
