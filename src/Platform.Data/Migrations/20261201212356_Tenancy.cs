using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Data.Migrations
{
    /// <inheritdoc />
    public partial class Tenancy : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_apps_Name",
                table: "apps");

            migrationBuilder.AddColumn<string>(
                name: "Kind",
                table: "tokens",
                type: "text",
                nullable: false,
                defaultValue: "session");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "LastUsedAt",
                table: "tokens",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Name",
                table: "tokens",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "SpaceId",
                table: "tokens",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "SpaceId",
                table: "routes",
                type: "uuid",
                nullable: false,
                defaultValue: Platform.Contracts.Tenancy.DefaultSpaceId);

            migrationBuilder.AddColumn<Guid>(
                name: "SpaceId",
                table: "instances",
                type: "uuid",
                nullable: false,
                defaultValue: Platform.Contracts.Tenancy.DefaultSpaceId);

            migrationBuilder.AddColumn<Guid>(
                name: "OrgId",
                table: "events",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "SpaceId",
                table: "events",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "AllowSsh",
                table: "apps",
                type: "boolean",
                nullable: false,
                defaultValue: true);

            migrationBuilder.AddColumn<Guid>(
                name: "SpaceId",
                table: "apps",
                type: "uuid",
                nullable: false,
                defaultValue: Platform.Contracts.Tenancy.DefaultSpaceId);

            migrationBuilder.CreateTable(
                name: "orgs",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    QuotaId = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_orgs", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "quotas",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    OwnerOrgId = table.Column<Guid>(type: "uuid", nullable: true),
                    MemoryMb = table.Column<int>(type: "integer", nullable: true),
                    InstanceMemoryMb = table.Column<int>(type: "integer", nullable: true),
                    AppInstances = table.Column<int>(type: "integer", nullable: true),
                    Apps = table.Column<int>(type: "integer", nullable: true),
                    Routes = table.Column<int>(type: "integer", nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_quotas", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "role_assignments",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    UserId = table.Column<Guid>(type: "uuid", nullable: false),
                    OrgId = table.Column<Guid>(type: "uuid", nullable: false),
                    SpaceId = table.Column<Guid>(type: "uuid", nullable: true),
                    Role = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_role_assignments", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "spaces",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    OrgId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    QuotaId = table.Column<Guid>(type: "uuid", nullable: true),
                    AllowSsh = table.Column<bool>(type: "boolean", nullable: false, defaultValue: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_spaces", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_tokens_UserId_Name",
                table: "tokens",
                columns: new[] { "UserId", "Name" },
                unique: true,
                filter: "\"Name\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_routes_SpaceId",
                table: "routes",
                column: "SpaceId");

            migrationBuilder.CreateIndex(
                name: "IX_events_SpaceId_Timestamp",
                table: "events",
                columns: new[] { "SpaceId", "Timestamp" });

            migrationBuilder.CreateIndex(
                name: "IX_events_Timestamp",
                table: "events",
                column: "Timestamp");

            migrationBuilder.CreateIndex(
                name: "IX_apps_SpaceId_Name",
                table: "apps",
                columns: new[] { "SpaceId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_orgs_Name",
                table: "orgs",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_quotas_OwnerOrgId_Name",
                table: "quotas",
                columns: new[] { "OwnerOrgId", "Name" },
                unique: true)
                .Annotation("Npgsql:NullsDistinct", false);

            migrationBuilder.CreateIndex(
                name: "IX_role_assignments_OrgId",
                table: "role_assignments",
                column: "OrgId");

            migrationBuilder.CreateIndex(
                name: "IX_role_assignments_SpaceId",
                table: "role_assignments",
                column: "SpaceId");

            migrationBuilder.CreateIndex(
                name: "IX_role_assignments_UserId_OrgId_SpaceId_Role",
                table: "role_assignments",
                columns: new[] { "UserId", "OrgId", "SpaceId", "Role" },
                unique: true)
                .Annotation("Npgsql:NullsDistinct", false);

            migrationBuilder.CreateIndex(
                name: "IX_spaces_OrgId_Name",
                table: "spaces",
                columns: new[] { "OrgId", "Name" },
                unique: true);

            // Nothing lost: the platform gets its org "default" with the space "dev", every existing app, route,
            // instance and event moves into it (the columns above default to it), and every user who was a
            // "developer" (rights everywhere) keeps them there as an OrgUser and SpaceDeveloper. Admins stay admins.
            var org = Platform.Contracts.Tenancy.DefaultOrgId;
            var space = Platform.Contracts.Tenancy.DefaultSpaceId;
            migrationBuilder.Sql($"""
                INSERT INTO orgs ("Id", "Name", "CreatedAt") VALUES ('{org}', '{Platform.Contracts.Tenancy.DefaultOrgName}', now())
                    ON CONFLICT DO NOTHING;
                INSERT INTO spaces ("Id", "OrgId", "Name", "AllowSsh", "CreatedAt")
                    VALUES ('{space}', '{org}', '{Platform.Contracts.Tenancy.DefaultSpaceName}', true, now()) ON CONFLICT DO NOTHING;
                UPDATE events SET "SpaceId" = '{space}' WHERE "AppId" IS NOT NULL;
                UPDATE users SET "Role" = 'user' WHERE "Role" <> 'admin';
                INSERT INTO role_assignments ("Id", "UserId", "OrgId", "SpaceId", "Role", "CreatedAt")
                    SELECT gen_random_uuid(), "Id", '{org}', NULL, 'OrgUser', now() FROM users WHERE "Role" = 'user';
                INSERT INTO role_assignments ("Id", "UserId", "OrgId", "SpaceId", "Role", "CreatedAt")
                    SELECT gen_random_uuid(), "Id", '{org}', '{space}', 'SpaceDeveloper', now() FROM users WHERE "Role" = 'user';
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "orgs");

            migrationBuilder.DropTable(
                name: "quotas");

            migrationBuilder.DropTable(
                name: "role_assignments");

            migrationBuilder.DropTable(
                name: "spaces");

            migrationBuilder.DropIndex(
                name: "IX_tokens_UserId_Name",
                table: "tokens");

            migrationBuilder.DropIndex(
                name: "IX_routes_SpaceId",
                table: "routes");

            migrationBuilder.DropIndex(
                name: "IX_events_SpaceId_Timestamp",
                table: "events");

            migrationBuilder.DropIndex(
                name: "IX_events_Timestamp",
                table: "events");

            migrationBuilder.DropIndex(
                name: "IX_apps_SpaceId_Name",
                table: "apps");

            migrationBuilder.DropColumn(
                name: "Kind",
                table: "tokens");

            migrationBuilder.DropColumn(
                name: "LastUsedAt",
                table: "tokens");

            migrationBuilder.DropColumn(
                name: "Name",
                table: "tokens");

            migrationBuilder.DropColumn(
                name: "SpaceId",
                table: "tokens");

            migrationBuilder.DropColumn(
                name: "SpaceId",
                table: "routes");

            migrationBuilder.DropColumn(
                name: "SpaceId",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "OrgId",
                table: "events");

            migrationBuilder.DropColumn(
                name: "SpaceId",
                table: "events");

            migrationBuilder.DropColumn(
                name: "AllowSsh",
                table: "apps");

            migrationBuilder.DropColumn(
                name: "SpaceId",
                table: "apps");

            migrationBuilder.CreateIndex(
                name: "IX_apps_Name",
                table: "apps",
                column: "Name",
                unique: true);
        }
    }
}
