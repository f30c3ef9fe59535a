using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Sandbox.Runtime;

namespace Platform.Sandbox.Exec;

/// <summary>Which of the command's output streams a chunk came from.</summary>
public enum ExecStream { Stdout, Stderr }

/// <summary>Receives a chunk of a command's output. Calls never overlap.</summary>
public delegate ValueTask ExecOutputHandler(ExecStream stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

/// <summary>
/// Runs a command inside a running container with the OCI runtime's `exec` (`runc exec --process`, `crun exec
/// --process`): the process spec is the container's own (its user, environment, working directory, capabilities,
/// rlimits, no_new_privs) with only the arguments replaced, so the command runs exactly as the app does, in the
/// same namespaces and cgroups (so under the same limits). No terminal and no stdin: it reads EOF.
/// </summary>
public sealed class ContainerExec(Sandbox sandbox)
{
    /// <summary>How long a cancelled command has between the SIGTERM the runtime forwards to it and a SIGKILL.</summary>
    public TimeSpan CancelGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Runs <paramref name="command"/> (argv, no shell) in container <paramref name="id"/> with <paramref name="stdin"/>
    /// as its standard input (then end of file; empty for none), streaming its output as it comes, and returns its
    /// exit code (128+N when a signal N ended it, as a shell reports it).
    /// </summary>
    /// <exception cref="SandboxException">The container does not exist or is not running.</exception>
    public Task<int> RunAsync(string id, IReadOnlyList<string> command, ReadOnlyMemory<byte> stdin, ExecOutputHandler output,
        CancellationToken cancellationToken) => RunAsync(id, command, null, stdin, output, cancellationToken);

    /// <param name="environment">Variables set for the command on top of the container's own (null: the container's alone).</param>
    public async Task<int> RunAsync(string id, IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment,
        ReadOnlyMemory<byte> stdin, ExecOutputHandler output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (command is not { Count: > 0 } || string.IsNullOrEmpty(command[0]))
            throw new ArgumentException("exec needs a command", nameof(command));
        if (command.Any(a => a is null || a.Contains('\0')))
            throw new ArgumentException("exec arguments may not contain NUL", nameof(command));
        var paths = sandbox.PathsOf(id);
        var info = await sandbox.InspectAsync(id, cancellationToken);
        if (info is not { Phase: ContainerPhase.Running } || !File.Exists(paths.Config))
            throw new SandboxException($"container {id} is not running");
        var runtime = sandbox.RuntimeFor(info.Runtime);

        var processFile = Path.Combine(paths.Directory, $"exec-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(processFile, ProcessSpec(await File.ReadAllTextAsync(paths.Config, cancellationToken), command, environment),
            cancellationToken);
        try
        {
            return await RunRuntimeExecAsync(runtime, id, processFile, stdin, output, cancellationToken);
        }
        finally
        {
            File.Delete(processFile);
        }
    }

    /// <summary>
    /// The container's process spec from its config.json with the arguments replaced, no terminal, and
    /// <paramref name="environment"/> set over the container's own variables.
    /// </summary>
    public static string ProcessSpec(string configJson, IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment = null)
    {
        var config = JsonNode.Parse(configJson)?.AsObject() ?? throw new SandboxException("config.json is empty");
        if (config["process"]?.DeepClone() is not JsonObject process)
            throw new SandboxException("config.json has no process");
        process["args"] = new JsonArray(command.Select(a => (JsonNode)a!).ToArray());
        if (environment is { Count: > 0 })
        {
            if (environment.Keys.FirstOrDefault(k => k.Length == 0 || k.Contains('=') || k.Contains('\0')) is { } bad)
                throw new ArgumentException($"'{bad}' is not an environment variable name", nameof(environment));
            var merged = new List<string>();
            foreach (var entry in process["env"]?.AsArray() ?? [])
            {
                var text = entry?.GetValue<string>() ?? "";
                var name = text.Split('=', 2)[0];
                if (!environment.ContainsKey(name)) merged.Add(text);
            }
            merged.AddRange(environment.Select(e => $"{e.Key}={e.Value}"));
            process["env"] = new JsonArray(merged.Select(e => (JsonNode)e!).ToArray());
        }
        process["terminal"] = false;
        process.Remove("consoleSize");
        return process.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    private async Task<int> RunRuntimeExecAsync(
        OciRuntime runtime, string id, string processFile, ReadOnlyMemory<byte> stdin, ExecOutputHandler output,
        CancellationToken cancellationToken)
    {
        var psi = runtime.StartInfo(["exec", "--process", processFile, id]);
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var process = runtime.StartTracked(psi);
        try
        {
            // Written beside the output pumps: a command that writes as it reads would otherwise fill its output pipe
            // while we are still feeding it, and both would wait for ever. A command that exits without reading it
            // all just closes the pipe: that is its business, not an error.
            var input = FeedAsync(process.StandardInput.BaseStream, stdin, cancellationToken);
            var gate = new SemaphoreSlim(1, 1);
            var stdout = PumpAsync(process.StandardOutput.BaseStream, ExecStream.Stdout, output, gate, cancellationToken);
            var stderr = PumpAsync(process.StandardError.BaseStream, ExecStream.Stderr, output, gate, cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                await StopAsync(process);
                throw;
            }
            await Task.WhenAll(stdout, stderr, input);
            return process.ExitCode;
        }
        finally
        {
            runtime.Untrack(process.Id);
        }
    }

    private static async Task FeedAsync(Stream input, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        try
        {
            if (!bytes.IsEmpty) await input.WriteAsync(bytes, cancellationToken);
        }
        catch (IOException) { /* the command closed its stdin (or exited) before reading everything */ }
        catch (OperationCanceledException) { }
        finally
        {
            try { await input.DisposeAsync(); }
            catch (IOException) { }
        }
    }

    /// <summary>SIGTERM to the runtime, which forwards it to the command; SIGKILL to both if it lingers.</summary>
    private async Task StopAsync(Process process)
    {
        if (process.HasExited) return;
        Native.Libc.Kill(process.Id, 15);
        using var grace = new CancellationTokenSource(CancelGrace);
        try { await process.WaitForExitAsync(grace.Token); }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
    }

    private static async Task PumpAsync(Stream from, ExecStream stream, ExecOutputHandler output, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            int n;
            try { n = await from.ReadAsync(buffer, cancellationToken); }
            catch (OperationCanceledException) { return; }
            if (n == 0) return;
            await gate.WaitAsync(cancellationToken);
            try { await output(stream, buffer.AsMemory(0, n), cancellationToken); }
            finally { gate.Release(); }
        }
    }
}
