using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Renmai.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Pools : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "LastFollowUpAt",
                table: "Customers",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "OwnedSince",
                table: "Customers",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "PoolId",
                table: "Customers",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "CustomerPools",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 50, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    IsDefault = table.Column<bool>(type: "INTEGER", nullable: false),
                    HoldingCap = table.Column<int>(type: "INTEGER", nullable: false),
                    DailyClaimCap = table.Column<int>(type: "INTEGER", nullable: false),
                    CooldownDays = table.Column<int>(type: "INTEGER", nullable: false),
                    ReturnDaysHigh = table.Column<int>(type: "INTEGER", nullable: false),
                    ReturnDaysMid = table.Column<int>(type: "INTEGER", nullable: false),
                    ReturnDaysLow = table.Column<int>(type: "INTEGER", nullable: false),
                    ReturnDaysUnrated = table.Column<int>(type: "INTEGER", nullable: false),
                    WarnDaysBefore = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CustomerPools", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "PoolEvents",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    PoolId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CustomerId = table.Column<Guid>(type: "TEXT", nullable: false),
                    UserId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ByName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PoolEvents", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "PoolMembers",
                columns: table => new
                {
                    PoolId = table.Column<Guid>(type: "TEXT", nullable: false),
                    UserId = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PoolMembers", x => new { x.PoolId, x.UserId });
                    table.ForeignKey(
                        name: "FK_PoolMembers_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_PoolMembers_CustomerPools_PoolId",
                        column: x => x.PoolId,
                        principalTable: "CustomerPools",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Customers_PoolId_OwnerId",
                table: "Customers",
                columns: new[] { "PoolId", "OwnerId" });

            migrationBuilder.CreateIndex(
                name: "IX_CustomerPools_Name",
                table: "CustomerPools",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PoolEvents_CustomerId_At",
                table: "PoolEvents",
                columns: new[] { "CustomerId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_PoolEvents_UserId_Kind_At",
                table: "PoolEvents",
                columns: new[] { "UserId", "Kind", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_PoolMembers_UserId",
                table: "PoolMembers",
                column: "UserId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PoolEvents");

            migrationBuilder.DropTable(
                name: "PoolMembers");

            migrationBuilder.DropTable(
                name: "CustomerPools");

            migrationBuilder.DropIndex(
                name: "IX_Customers_PoolId_OwnerId",
                table: "Customers");

            migrationBuilder.DropColumn(
                name: "LastFollowUpAt",
                table: "Customers");

            migrationBuilder.DropColumn(
                name: "OwnedSince",
                table: "Customers");

            migrationBuilder.DropColumn(
                name: "PoolId",
                table: "Customers");
        }
    }
}
