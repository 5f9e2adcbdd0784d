using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Renmai.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Customers_Company : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Company",
                table: "Customers",
                type: "TEXT",
                maxLength: 200,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Company",
                table: "Customers");
        }
    }
}
