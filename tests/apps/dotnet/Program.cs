// A minimal API: answers with the runtime it runs on, so the test can see it is the buildpack's runtime layer.
using System.Runtime.InteropServices;

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/", () => $"Hello from .NET {Environment.Version} ({RuntimeInformation.FrameworkDescription}) on {Environment.MachineName}\n");
app.Run();
