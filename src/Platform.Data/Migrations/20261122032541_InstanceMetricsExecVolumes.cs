using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Data.Migrations
{
    /// <inheritdoc />
    public partial class InstanceMetricsExecVolumes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "CpuPercent",
                table: "instances",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "DiskBytes",
                table: "instances",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "DiskLimitBytes",
                table: "instances",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "MemoryBytes",
                table: "instances",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "MemoryLimitBytes",
                table: "instances",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "MetricsAt",
                table: "instances",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "StartedAt",
                table: "instances",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ExecToken",
                table: "cells",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ExecUrl",
                table: "cells",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Volumes",
                table: "apps",
                type: "jsonb",
                nullable: false,
                defaultValueSql: "'[]'::jsonb");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CpuPercent",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "DiskBytes",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "DiskLimitBytes",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "MemoryBytes",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "MemoryLimitBytes",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "MetricsAt",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "StartedAt",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "ExecToken",
                table: "cells");

            migrationBuilder.DropColumn(
                name: "ExecUrl",
                table: "cells");

            migrationBuilder.DropColumn(
                name: "Volumes",
                table: "apps");
        }
    }
}
