using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Data.Migrations
{
    /// <inheritdoc />
    public partial class SecurityGroups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "security_group_spaces",
                columns: table => new
                {
                    SecurityGroupId = table.Column<Guid>(type: "uuid", nullable: false),
                    SpaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_security_group_spaces", x => new { x.SecurityGroupId, x.SpaceId });
                });

            migrationBuilder.CreateTable(
                name: "security_groups",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    Rules = table.Column<string>(type: "jsonb", nullable: false),
                    RunningDefault = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_security_groups", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_security_group_spaces_SpaceId",
                table: "security_group_spaces",
                column: "SpaceId");

            migrationBuilder.CreateIndex(
                name: "IX_security_groups_Name",
                table: "security_groups",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_security_groups_RunningDefault",
                table: "security_groups",
                column: "RunningDefault");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "security_group_spaces");

            migrationBuilder.DropTable(
                name: "security_groups");
        }
    }
}
