using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Data.Migrations
{
    /// <inheritdoc />
    public partial class RevisionsAndDeployments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ConfigDigest",
                table: "instances");

            migrationBuilder.AddColumn<int>(
                name: "Generation",
                table: "instances",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<Guid>(
                name: "RevisionId",
                table: "instances",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Generation",
                table: "apps",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<Guid>(
                name: "RevisionId",
                table: "apps",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "TargetRevisionId",
                table: "apps",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "deployments",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    AppId = table.Column<Guid>(type: "uuid", nullable: false),
                    RevisionId = table.Column<Guid>(type: "uuid", nullable: false),
                    PreviousRevisionId = table.Column<Guid>(type: "uuid", nullable: true),
                    Generation = table.Column<int>(type: "integer", nullable: false),
                    PreviousGeneration = table.Column<int>(type: "integer", nullable: false),
                    Strategy = table.Column<string>(type: "text", nullable: false),
                    MaxInFlight = table.Column<int>(type: "integer", nullable: false),
                    State = table.Column<string>(type: "text", nullable: false),
                    Crashes = table.Column<int>(type: "integer", nullable: false),
                    Reason = table.Column<string>(type: "text", nullable: true),
                    Actor = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_deployments", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "revisions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    AppId = table.Column<Guid>(type: "uuid", nullable: false),
                    Version = table.Column<int>(type: "integer", nullable: false),
                    DropletId = table.Column<Guid>(type: "uuid", nullable: false),
                    Env = table.Column<string>(type: "jsonb", nullable: false),
                    Command = table.Column<string>(type: "text", nullable: true),
                    Volumes = table.Column<string>(type: "jsonb", nullable: false),
                    HealthCheckType = table.Column<string>(type: "text", nullable: false),
                    HealthCheckEndpoint = table.Column<string>(type: "text", nullable: true),
                    HealthCheckTimeoutSeconds = table.Column<int>(type: "integer", nullable: true),
                    Description = table.Column<string>(type: "text", nullable: false),
                    DropletReleased = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_revisions", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_deployments_AppId_CreatedAt",
                table: "deployments",
                columns: new[] { "AppId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_deployments_State",
                table: "deployments",
                column: "State");

            migrationBuilder.CreateIndex(
                name: "IX_revisions_AppId_Version",
                table: "revisions",
                columns: new[] { "AppId", "Version" },
                unique: true);

            // Every staged app gets its first revision from what it has now; instances of its current droplet run it.
            migrationBuilder.Sql("""
                INSERT INTO revisions ("Id", "AppId", "Version", "DropletId", "Env", "Command", "Volumes", "HealthCheckType",
                                       "HealthCheckEndpoint", "HealthCheckTimeoutSeconds", "Description", "DropletReleased", "CreatedAt")
                    SELECT gen_random_uuid(), a."Id", 1, a."CurrentDropletId", a."Env", a."Command", a."Volumes", a."HealthCheckType",
                           a."HealthCheckEndpoint", a."HealthCheckTimeoutSeconds", 'existing droplet', false, now()
                    FROM apps a WHERE a."CurrentDropletId" IS NOT NULL;
                UPDATE apps a SET "RevisionId" = r."Id", "TargetRevisionId" = r."Id" FROM revisions r WHERE r."AppId" = a."Id";
                UPDATE instances i SET "RevisionId" = a."TargetRevisionId" FROM apps a
                    WHERE i."AppId" = a."Id" AND i."DropletId" = a."CurrentDropletId";
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "deployments");

            migrationBuilder.DropTable(
                name: "revisions");

            migrationBuilder.DropColumn(
                name: "Generation",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "RevisionId",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "Generation",
                table: "apps");

            migrationBuilder.DropColumn(
                name: "RevisionId",
                table: "apps");

            migrationBuilder.DropColumn(
                name: "TargetRevisionId",
                table: "apps");

            migrationBuilder.AddColumn<string>(
                name: "ConfigDigest",
                table: "instances",
                type: "text",
                nullable: true);
        }
    }
}
