using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Api.Access;
using Platform.Contracts;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>/v1/users (admins only): list, create (plat create-user) and delete (plat delete-user) users.</summary>
public static class UsersEndpoints
{
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 256;

    public static RouteGroupBuilder MapUsersEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/users", ListAsync).AdminOnly().Produces<List<UserResponse>>();
        v1.MapPost("/users", CreateAsync).AdminOnly().JsonBody<UserRequest>().Produces<UserResponse>(StatusCodes.Status201Created).Problems(StatusCodes.Status409Conflict);
        v1.MapDelete("/users/{username}", DeleteAsync).AdminOnly().Produces(StatusCodes.Status204NoContent).Problems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        return v1;
    }

    /// <summary>Null when the password is acceptable, else why not.</summary>
    public static string? PasswordProblem(string? password) => password switch
    {
        null or { Length: < MinPasswordLength } => $"the password must have at least {MinPasswordLength} characters",
        { Length: > MaxPasswordLength } => $"the password may have at most {MaxPasswordLength} characters",
        _ => null,
    };

    private static async Task<IResult> ListAsync(PlatformDbContext db, CancellationToken ct)
    {
        var users = await db.Users.AsNoTracking().OrderBy(u => u.Name).ToListAsync(ct);
        return Results.Ok(users.Select(u => new UserResponse(u.Id, u.Name, u.Role, u.CreatedAt)).ToList());
    }

    private static async Task<IResult> CreateAsync(
        HttpRequest request, ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<UserRequest>(request, ct);
        if (problem is not null) return problem;
        if (!Names.IsValidAppName(body!.Username))
            return ApiProblems.BadRequest($"'{body.Username}' is not a valid username: use 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit");
        if (PasswordProblem(body.Password) is { } weak) return ApiProblems.BadRequest(weak);
        var role = body.Role ?? PlatformRoles.User;
        if (!PlatformRoles.All.Contains(role))
            return ApiProblems.BadRequest($"role must be one of {string.Join(", ", PlatformRoles.All)}, not '{role}'");
        if (await db.Users.AnyAsync(u => u.Name == body.Username, ct))
            return ApiProblems.Conflict($"the user '{body.Username}' exists already");

        var now = time.GetUtcNow();
        var entity = new UserEntity
        {
            Id = Guid.NewGuid(),
            Name = body.Username!,
            PasswordHash = PasswordHasher.Hash(body.Password!),
            Role = role,
            CreatedAt = now,
        };
        db.Users.Add(entity);
        db.AddEvent(EventSubject.Platform, "user.create", user.UserName(), $"user {entity.Name} ({role})", now);
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

    private static async Task<IResult> DeleteAsync(string username, ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var entity = await db.Users.FirstOrDefaultAsync(u => u.Name == username, ct);
        if (entity is null) return ApiProblems.NotFound("User not found", $"user '{username}' not found");
        if (entity.Role == UserRoles.Admin && await db.Users.CountAsync(u => u.Role == UserRoles.Admin, ct) == 1)
            return ApiProblems.Conflict($"'{username}' is the last admin: make another admin first");
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.RoleAssignments.Where(r => r.UserId == entity.Id).ExecuteDeleteAsync(ct);
        await db.Tokens.Where(t => t.UserId == entity.Id).ExecuteDeleteAsync(ct);
        db.Users.Remove(entity);
        db.AddEvent(EventSubject.Platform, "user.delete", user.UserName(), $"user {username}", time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return Results.NoContent();
    }
}
