using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Renmai.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SearchText_NonAsciiGramMarker : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The gram marker G becomes Ǥ (CustomerSearchRows.PostgresGramMarker, ADR 0033): pg_trgm lower-cases, so
            // "Gzg" gave the trigram gzg of an initials query and every row's gram word started with "  g". The text is
            // lower-case, so 'G' occurs only as the marker. Index dropped and rebuilt around the rewrite (ADR 0031).
            migrationBuilder.Sql("""DROP INDEX IF EXISTS "IX_CustomerSearch_Text";""");
            migrationBuilder.Sql("""UPDATE "CustomerSearch" SET "Text" = replace("Text", 'G', 'Ǥ') WHERE strpos("Text", 'G') > 0;""");
            migrationBuilder.Sql("""CREATE INDEX "IX_CustomerSearch_Text" ON "CustomerSearch" USING gin ("Text" gin_trgm_ops);""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP INDEX IF EXISTS "IX_CustomerSearch_Text";""");
            migrationBuilder.Sql("""UPDATE "CustomerSearch" SET "Text" = replace("Text", 'Ǥ', 'G') WHERE strpos("Text", 'Ǥ') > 0;""");
            migrationBuilder.Sql("""CREATE INDEX "IX_CustomerSearch_Text" ON "CustomerSearch" USING gin ("Text" gin_trgm_ops);""");
        }
    }
}
