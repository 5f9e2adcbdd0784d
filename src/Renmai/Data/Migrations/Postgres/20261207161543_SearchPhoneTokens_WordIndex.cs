using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Renmai.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SearchPhoneTokens_WordIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_CustomerSearch_PhoneGrams",
                table: "CustomerSearch");

            migrationBuilder.CreateIndex(
                name: "IX_CustomerSearch_PhoneGrams",
                table: "CustomerSearch",
                column: "PhoneGrams")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:TsVectorConfig", "simple");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_CustomerSearch_PhoneGrams",
                table: "CustomerSearch");

            migrationBuilder.CreateIndex(
                name: "IX_CustomerSearch_PhoneGrams",
                table: "CustomerSearch",
                column: "PhoneGrams")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "gin_trgm_ops" });
        }
    }
}
