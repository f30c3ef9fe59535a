using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Contracts;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Endpoints;

/// <summary>POST /v1/users: an admin creates another user (role "developer" unless asked otherwise).</summary>
public static class UsersEndpoints
{
    public const int MinPasswordLength = 8;

    public static RouteGroupBuilder MapUsersEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapPost("/users", CreateAsync);
        return v1;
    }

    private static async Task<IResult> CreateAsync(
        HttpRequest request, ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        if (!PlatformRoles.IsAdmin(user))
            return ApiProblems.Forbidden("only admins can create users");
        var (body, problem) = await JsonBody.ReadAsync<UserRequest>(request, ct);
        if (problem is not null) return problem;
        if (!Names.IsValidAppName(body!.Username))
            return ApiProblems.BadRequest($"'{body.Username}' is not a valid username: use 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit");
        if (body.Password is not { Length: >= MinPasswordLength })
            return ApiProblems.BadRequest($"the password must have at least {MinPasswordLength} characters");
        var role = body.Role ?? PlatformRoles.Developer;
        if (!PlatformRoles.All.Contains(role))
            return ApiProblems.BadRequest($"role must be one of {string.Join(", ", PlatformRoles.All)}, not '{role}'");
        if (await db.Users.AnyAsync(u => u.Name == body.Username, ct))
            return ApiProblems.Conflict($"the user '{body.Username}' exists already");

        var now = time.GetUtcNow();
        var entity = new UserEntity
        {
            Id = Guid.NewGuid(),
            Name = body.Username!,
            PasswordHash = PasswordHasher.Hash(body.Password),
            Role = role,
            CreatedAt = now,
        };
        db.Users.Add(entity);
        db.AddEvent(null, "user.create", CurrentUser.Name(user), $"user {entity.Name} ({role})", now);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return ApiProblems.Conflict($"the user '{body.Username}' exists already");
        }
        return Results.Created($"/v1/users/{entity.Name}", new UserResponse(entity.Id, entity.Name, entity.Role, entity.CreatedAt));
    }
}
