using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Data.Migrations
{
    /// <inheritdoc />
    public partial class AppHealthChecks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "HealthCheckEndpoint",
                table: "apps",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "HealthCheckTimeoutSeconds",
                table: "apps",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "HealthCheckType",
                table: "apps",
                type: "text",
                nullable: false,
                defaultValue: "port");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "HealthCheckEndpoint",
                table: "apps");

            migrationBuilder.DropColumn(
                name: "HealthCheckTimeoutSeconds",
                table: "apps");

            migrationBuilder.DropColumn(
                name: "HealthCheckType",
                table: "apps");
        }
    }
}
