using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Data.Migrations
{
    /// <inheritdoc />
    public partial class ReportVersions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "ReportEpoch",
                table: "instances",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ReportSequence",
                table: "instances",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "HeartbeatEpoch",
                table: "cells",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "HeartbeatSequence",
                table: "cells",
                type: "bigint",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ReportEpoch",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "ReportSequence",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "HeartbeatEpoch",
                table: "cells");

            migrationBuilder.DropColumn(
                name: "HeartbeatSequence",
                table: "cells");
        }
    }
}
