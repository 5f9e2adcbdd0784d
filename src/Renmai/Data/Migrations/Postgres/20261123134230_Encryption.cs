using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Renmai.Data.Migrations.Postgres
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
                type: "boolean",
                nullable: false,
                defaultValue: false);

            // Keep existing phones: the column becomes the encrypted one; rows still holding plaintext JSON are
            // sealed at the next start (KeyMaintenance.SealLegacyRowsAsync) and read as legacy rows until then.
            migrationBuilder.RenameColumn(name: "Phones", table: "Customers", newName: "Sensitive");
            migrationBuilder.AlterColumn<string>(name: "Sensitive", table: "Customers", type: "text", nullable: true, oldClrType: typeof(string), oldType: "jsonb", oldNullable: false);
            migrationBuilder.Sql("UPDATE \"Customers\" SET \"Sensitive\" = NULL WHERE \"Sensitive\" = '[]';");

            // Keep existing phones: the column becomes the encrypted one; rows still holding plaintext JSON are
            // sealed at the next start (KeyMaintenance.SealLegacyRowsAsync) and read as legacy rows until then.
            migrationBuilder.RenameColumn(name: "Phones", table: "Contacts", newName: "Sensitive");
            migrationBuilder.AlterColumn<string>(name: "Sensitive", table: "Contacts", type: "text", nullable: true, oldClrType: typeof(string), oldType: "jsonb", oldNullable: false);
            migrationBuilder.Sql("UPDATE \"Contacts\" SET \"Sensitive\" = NULL WHERE \"Sensitive\" = '[]';");

            migrationBuilder.CreateTable(
                name: "SensitiveIndex",
                columns: table => new
                {
                    EntityId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    Hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CustomerId = table.Column<Guid>(type: "uuid", nullable: false),
                    KeyId = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false)
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

            migrationBuilder.RenameColumn(name: "Sensitive", table: "Customers", newName: "Phones");

            migrationBuilder.RenameColumn(name: "Sensitive", table: "Contacts", newName: "Phones");

            

            
        }
    }
}
