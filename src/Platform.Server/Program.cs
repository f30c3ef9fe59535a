using Platform.Server;

return await PlatformServer.RunAsync(args);
