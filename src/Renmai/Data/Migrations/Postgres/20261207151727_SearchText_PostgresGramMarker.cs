using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Renmai.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SearchText_PostgresGramMarker : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The gram marker as the model now stores it (CustomerSearchRows.PostgresGramMarker): '^' was a word
            // separator to pg_trgm. The text is lower-case, so 'G' occurs only as the marker.
            // Rewriting every row under its trigram index took 8 minutes for a million customers on 2 cores; dropping
            // the index, rewriting the rows twice (there and back) and building it again took 7 minutes in all.
            migrationBuilder.Sql("""DROP INDEX IF EXISTS "IX_CustomerSearch_Text";""");
            migrationBuilder.Sql("""UPDATE "CustomerSearch" SET "Text" = replace("Text", '^', 'G') WHERE strpos("Text", '^') > 0;""");
            migrationBuilder.Sql("""CREATE INDEX "IX_CustomerSearch_Text" ON "CustomerSearch" USING gin ("Text" gin_trgm_ops);""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP INDEX IF EXISTS "IX_CustomerSearch_Text";""");
            migrationBuilder.Sql("""UPDATE "CustomerSearch" SET "Text" = replace("Text", 'G', '^') WHERE strpos("Text", 'G') > 0;""");
            migrationBuilder.Sql("""CREATE INDEX "IX_CustomerSearch_Text" ON "CustomerSearch" USING gin ("Text" gin_trgm_ops);""");
        }
    }
}
