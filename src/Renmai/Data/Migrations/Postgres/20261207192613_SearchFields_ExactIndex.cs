using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Renmai.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SearchFields_ExactIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The whole fields of each search document (the text before the first gram marker, split at the bars) as an
            // array under a GIN index: a whole-field query is one exact element lookup (ADR 0033), where the trigram
            // index intersected lists such as the trigram "公司 " that ends every company name (50 ms for |公司|).
            // CustomerSearchMapping.PostgresFields is the same expression; EF does not model expression indexes.
            migrationBuilder.Sql("""CREATE INDEX "IX_CustomerSearch_Fields" ON "CustomerSearch" USING gin (string_to_array(split_part("Text", 'Ǥ', 1), '|'));""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP INDEX IF EXISTS "IX_CustomerSearch_Fields";""");
        }
    }
}
