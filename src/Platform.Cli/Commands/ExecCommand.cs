using System.CommandLine;
using System.Text;
using Platform.Contracts.Api;

namespace Platform.Cli.Commands;

/// <summary>
/// `plat exec NAME [-i N] -- CMD ARGS...`: runs a command inside instance N of an app (as the app's user, in its
/// directory, with its environment and limits), printing its output as it comes, and exits with its exit code.
/// Like `cf ssh NAME -c CMD`, without a terminal; with --stdin, plat's standard input (read to its end first, at most
/// 1 MiB) is the command's, as with `kubectl exec --stdin`. Needs an admin.
/// </summary>
internal static class ExecCommand
{
    public static Command Create(CliEnvironment env)
    {
        var name = CommandSupport.AppNameArgument();
        var index = new Option<string?>("-i", "--instance") { HelpName = "N", Description = "Instance index (default 0)" };
        var stdin = new Option<bool>("--stdin")
        {
            Description = "Give plat's standard input (read to its end, at most 1 MiB) to the command, e.g. plat exec NAME --stdin -- sh < script.sh",
        };
        var command = new Argument<string[]>("COMMAND")
        {
            Description = "The command and its arguments, after --; run directly (use sh -c '...' for a shell)",
            Arity = ArgumentArity.OneOrMore,
        };
        var exec = new Command("exec", "Run a command inside a running instance and exit with its exit code (space developers, unless ssh is disabled): plat exec NAME [-i N] [--stdin] -- CMD ARGS...")
        {
            name, index, stdin, command,
        };
        exec.SetRun(env, async (parse, ct) =>
        {
            var app = CommandSupport.ValidName(parse.GetValue(name));
            var i = ValidIndex(parse.GetValue(index));
            var argv = parse.GetValue(command) ?? [];
            if (argv.Length == 0 || string.IsNullOrEmpty(argv[0]))
                throw new CliException("give the command to run after --, e.g. plat exec NAME -- ls -l");
            var input = parse.GetValue(stdin) ? Convert.ToBase64String(await ReadStdinAsync(env, ct)) : null;
            using var api = CommandSupport.LoggedInClient(env);
            var stdout = Encoding.UTF8.GetDecoder();
            var stderr = Encoding.UTF8.GetDecoder();
            var last = await api.ExecAsync(app, new ExecRequest(argv, i, input), async frame =>
            {
                if (frame.Data is null) return;
                var (writer, decoder) = frame.Stream == "stderr" ? (env.Err, stderr) : (env.Out, stdout);
                var bytes = Convert.FromBase64String(frame.Data);
                var chars = new char[decoder.GetCharCount(bytes, flush: false)];
                decoder.GetChars(bytes, chars, flush: false);
                await writer.WriteAsync(chars);
                await writer.FlushAsync(ct);
            }, ct);
            return last switch
            {
                { ExitCode: { } code } => code,
                { Error: { } error } => throw new CliException($"exec in instance {i} of {app} failed: {error}"),
                _ => throw new CliException($"exec in instance {i} of {app} ended without an exit code"),
            };
        });
        return exec;
    }

    /// <summary>All of standard input, refused past the API's limit before anything is sent.</summary>
    private static async Task<byte[]> ReadStdinAsync(CliEnvironment env, CancellationToken ct)
    {
        await using var stream = env.OpenStdin();
        var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int n;
        while ((n = await stream.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > ExecRequest.MaxStdinBytes)
                throw new CliException($"--stdin takes at most {ExecRequest.MaxStdinBytes / 1024 / 1024} MiB; copy larger files into a volume or the app instead");
        }
        return buffer.ToArray();
    }

    private static int ValidIndex(string? text) =>
        text is null ? 0
        : int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n
        : throw new CliException($"invalid instance index for -i: '{text}' (use a whole number, 0 for the first instance)");
}
