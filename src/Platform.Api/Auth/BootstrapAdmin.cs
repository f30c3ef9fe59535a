using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Auth;

/// <summary>
/// At start, when no user exists yet, creates "admin" with a random password and writes it to
/// &lt;DataDir&gt;/bootstrap-admin.json (mode 0600), so the operator can log in once. The password is
/// never logged.
/// </summary>
public sealed class BootstrapAdmin(
    IServiceScopeFactory scopes,
    IOptions<ApiOptions> options,
    TimeProvider time,
    ILogger<BootstrapAdmin> logger) : IHostedService
{
    public const string UserName = "admin";
    public const string FileName = "bootstrap-admin.json";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        if (await db.Users.AnyAsync(cancellationToken))
            return;

        var password = TokenHasher.Base64Url(RandomNumberGenerator.GetBytes(18));
        db.Users.Add(new UserEntity
        {
            Id = Guid.NewGuid(),
            Name = UserName,
            PasswordHash = PasswordHasher.Hash(password),
            Role = "admin",
            CreatedAt = time.GetUtcNow(),
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another API instance bootstrapped at the same moment; its file holds the password.
            logger.LogInformation("User {User} was created concurrently by another API instance", UserName);
            return;
        }

        var path = Path.Combine(options.Value.DataDir, FileName);
        Directory.CreateDirectory(options.Value.DataDir);
        // A stale file may have looser permissions: remove it so the new one is created 0600 before any byte is written.
        File.Delete(path);
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using (var file = new FileStream(path, fileOptions))
            await JsonSerializer.SerializeAsync(file, new { username = UserName, password }, cancellationToken: cancellationToken);
        logger.LogWarning("Created user {User}; its password is in {Path} (readable by the owner only)", UserName, path);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
