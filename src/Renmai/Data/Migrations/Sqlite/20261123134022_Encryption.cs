using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Renmai.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Encryption : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {

            migrationBuilder.AddColumn<bool>(
                name: "Sensitive",
                table: "CustomFieldDefinitions",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            // Keep existing phones: they move to the encrypted column as plaintext JSON and are sealed at the next
            // start (KeyMaintenance.SealLegacyRowsAsync, then VACUUM); until then they are read as legacy rows.
            // Native ADD/DROP COLUMN, no table rebuild (a rebuild of a million-row table would be slow).
            migrationBuilder.AddColumn<string>(name: "Sensitive", table: "Customers", type: "TEXT", nullable: true);
            migrationBuilder.Sql("UPDATE \"Customers\" SET \"Sensitive\" = \"Phones\" WHERE \"Phones\" <> '[]';");
            migrationBuilder.Sql("ALTER TABLE \"Customers\" DROP COLUMN \"Phones\";");

            // Keep existing phones: they move to the encrypted column as plaintext JSON and are sealed at the next
            // start (KeyMaintenance.SealLegacyRowsAsync, then VACUUM); until then they are read as legacy rows.
            // Native ADD/DROP COLUMN, no table rebuild (a rebuild of a million-row table would be slow).
            migrationBuilder.AddColumn<string>(name: "Sensitive", table: "Contacts", type: "TEXT", nullable: true);
            migrationBuilder.Sql("UPDATE \"Contacts\" SET \"Sensitive\" = \"Phones\" WHERE \"Phones\" <> '[]';");
            migrationBuilder.Sql("ALTER TABLE \"Contacts\" DROP COLUMN \"Phones\";");

            migrationBuilder.CreateTable(
                name: "SensitiveIndex",
                columns: table => new
                {
                    EntityId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    Hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    CustomerId = table.Column<Guid>(type: "TEXT", nullable: false),
                    KeyId = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SensitiveIndex", x => new { x.EntityId, x.Kind, x.Hash });
                });

            migrationBuilder.CreateIndex(
                name: "IX_SensitiveIndex_Kind_Hash",
                table: "SensitiveIndex",
                columns: new[] { "Kind", "Hash" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "SensitiveIndex");

            migrationBuilder.DropColumn(
                name: "Sensitive",
                table: "CustomFieldDefinitions");

            migrationBuilder.DropColumn(
                name: "Sensitive",
                table: "Customers");

            migrationBuilder.DropColumn(
                name: "Sensitive",
                table: "Contacts");

            migrationBuilder.AddColumn<string>(name: "Phones", table: "Customers", type: "TEXT", nullable: false, defaultValue: "[]");

            migrationBuilder.AddColumn<string>(name: "Phones", table: "Contacts", type: "TEXT", nullable: false, defaultValue: "[]");
        }
    }
}
