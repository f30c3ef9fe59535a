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
            var lines = await api.LogsAsync(app, null, 500, ct);
            foreach (var line in lines) env.Out.WriteLine(line.Render());
            if (parse.GetValue(recent)) return 0;

            var after = lines.LastOrDefault()?.Id ?? 0;
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(env.PollInterval, ct);
                    foreach (var line in await api.LogsAsync(app, after, 1000, ct))
                    {
                        env.Out.WriteLine(line.Render());
                        after = line.Id;
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break; // Ctrl-C ends following normally
                }
            }
            return 0;
        });
        return command;
    }
}
