using System.Diagnostics;

namespace Platform.Sandbox;

/// <summary>The outcome of a host command: its exit code and what it printed.</summary>
public sealed record HostCommandResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs host tools (ip, iptables, runc) with arguments passed as a list, never through a shell.</summary>
internal static class HostCommand
{
    public static Task<HostCommandResult> RunAsync(
        string file, IEnumerable<string> arguments, string? standardInput, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(file);
        foreach (var a in arguments) startInfo.ArgumentList.Add(a);
        return RunAsync(startInfo, standardInput, psi => Process.Start(psi), cancellationToken);
    }

    /// <summary>Runs a prepared command; <paramref name="start"/> starts it (so a caller can track the child).</summary>
    public static async Task<HostCommandResult> RunAsync(
        ProcessStartInfo startInfo, string? standardInput, Func<ProcessStartInfo, Process?> start, CancellationToken cancellationToken)
    {
        var file = startInfo.FileName;
        startInfo.RedirectStandardInput = true;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.UseShellExecute = false;
        using var process = start(startInfo)
            ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            if (standardInput is not null) await process.StandardInput.WriteAsync(standardInput.AsMemory(), cancellationToken);
            process.StandardInput.Close();
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        return new HostCommandResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs the command and throws with its stderr when it fails.</summary>
    public static async Task<HostCommandResult> RunCheckedAsync(
        string file, IEnumerable<string> arguments, string? standardInput, CancellationToken cancellationToken)
    {
        var args = arguments as IReadOnlyCollection<string> ?? arguments.ToList();
        var result = await RunAsync(file, args, standardInput, cancellationToken);
        if (!result.Succeeded)
            throw new SandboxException(
                $"{file} {string.Join(' ', args)} failed with exit code {result.ExitCode}: {result.StandardError.Trim()}" +
                (standardInput is null ? "" : $"\ninput:\n{standardInput}"));
        return result;
    }
}

/// <summary>A container could not be created, started or removed; the message says which host step failed.</summary>
public sealed class SandboxException(string message, Exception? inner = null) : Exception(message, inner);
