using Platform.Cli;

return await PlatApp.RunAsync(args, CliEnvironment.FromConsole(), handleCtrlC: true);
