using System.IO.Compression;
using System.Text;
using Renmai.Features.Import;

namespace Renmai.Tests.Features.Import;

/// <summary>
/// The xlsx reader on a workbook written by hand the way Excel writes one (prefix-free namespaces, shared strings with
/// rich-text runs and phonetic guides, a second sheet listed first in the package, custom and built-in Chinese date
/// formats, the 1904 date system, gaps in rows and cells); LibreOffice's and MiniExcel's files go through the import tests.
/// </summary>
public sealed class XlsxSheetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("renmai-xlsx-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private const string Main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    private const string Rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

    private string Workbook(string sheetXml, bool date1904 = false, string? sharedStrings = null)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".xlsx");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        void Part(string name, string xml)
        {
            using var w = new StreamWriter(zip.CreateEntry(name).Open(), new UTF8Encoding(false));
            w.Write(xml);
        }
        // The first sheet of the workbook is "客户" (rId2 → sheet2.xml); sheet1.xml is a second tab that must not be read.
        Part("xl/workbook.xml", $"""
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <workbook xmlns="{Main}" xmlns:r="{Rel}"><workbookPr{(date1904 ? " date1904=\"1\"" : "")}/>
            <sheets><sheet name="客户" sheetId="2" r:id="rId2"/><sheet name="说明" sheetId="1" r:id="rId1"/></sheets></workbook>
            """);
        Part("xl/_rels/workbook.xml.rels", $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
            <Relationship Id="rId1" Type="{Rel}/worksheet" Target="worksheets/sheet1.xml"/>
            <Relationship Id="rId2" Type="{Rel}/worksheet" Target="/xl/worksheets/sheet2.xml"/>
            <Relationship Id="rId3" Type="{Rel}/sharedStrings" Target="sharedStrings.xml"/>
            <Relationship Id="rId4" Type="{Rel}/styles" Target="styles.xml"/>
            </Relationships>
            """);
        Part("xl/sharedStrings.xml", sharedStrings ?? $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <sst xmlns="{Main}" count="4" uniqueCount="4">
            <si><t>客户名称</t></si>
            <si><r><rPr><b/></rPr><t>北京</t></r><r><t xml:space="preserve">华夏 科技</t></r><rPh sb="0" eb="2"><t>ペキン</t></rPh></si>
            <si><t/></si>
            <si><t>生日</t></si>
            </sst>
            """);
        // cellXfs: 0 General, 1 built-in 14 (date), 2 custom 176 yyyy"年"m"月"d"日", 3 custom 177 0.00"万元" (a number), 4 built-in 31 (Chinese date)
        Part("xl/styles.xml", $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <styleSheet xmlns="{Main}"><numFmts count="2"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/><numFmt numFmtId="177" formatCode="0.00&quot;万元&quot;"/></numFmts>
            <cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>
            <cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="176"/><xf numFmtId="177"/><xf numFmtId="31"/></cellXfs></styleSheet>
            """);
        Part("xl/worksheets/sheet1.xml", $"""<worksheet xmlns="{Main}"><sheetData><row r="1"><c t="inlineStr"><is><t>不该读取</t></is></c></row></sheetData></worksheet>""");
        Part("xl/worksheets/sheet2.xml", sheetXml);
        return path;
    }

    [Fact]
    public void Reads_the_first_sheet_with_shared_strings_dates_numbers_and_gaps()
    {
        var path = Workbook($"""
            <?xml version="1.0" encoding="UTF-8"?>
            <worksheet xmlns="{Main}"><dimension ref="A1:F5"/><sheetData>
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>手机</t></is></c><c r="C1" t="s"><v>3</v></c><c r="D1" t="inlineStr"><is><t>预算</t></is></c></row>
            <row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><v>13812345678</v></c><c r="C2" s="2"><v>32874</v></c><c r="D2" s="3"><v>12.5</v></c><c r="F2" t="b"><v>1</v></c></row>
            <row r="4"><c t="str"><f>A1&amp;"公司"</f><v>长城公司</v></c><c><v>1.3912345678E10</v></c><c s="1"><v>45658.5</v></c><c t="e"><v>#N/A</v></c></row>
            <row r="5"><c r="A5" t="s"><v>2</v></c><c r="C5" s="4"><v>36526</v></c></row>
            </sheetData></worksheet>
            """);
        var sheet = XlsxSheet.Open(path);
        Assert.Equal("xl/worksheets/sheet2.xml", sheet.SheetEntry);
        var rows = sheet.Rows().ToList();

        Assert.Equal([1L, 2L, 4L, 5L], rows.Select(r => r.Row));
        Assert.Equal(["客户名称", "手机", "生日", "预算"], rows[0].Cells);
        // Rich-text runs are joined, the phonetic guide is not text; a phone number stays a number until the import reads it.
        Assert.Equal(["北京华夏 科技", 13812345678d, new DateTime(1990, 1, 1), 12.5d, null, true], rows[1].Cells);
        // No cell references: cells follow one another; a formula gives its cached text; an error cell keeps its code.
        Assert.Equal(["长城公司", 13912345678d, new DateTime(2025, 1, 1, 12, 0, 0), "#N/A"], rows[2].Cells);
        Assert.Equal(["", null, new DateTime(2000, 1, 1)], rows[3].Cells);
        // Each enumeration starts over.
        Assert.Equal(4, sheet.Rows().Count());
    }

    [Theory]
    [InlineData("uniqueCount=\"30000\"")]
    [InlineData("uniqueCount=\"5\"")]
    [InlineData("uniqueCount=\"2000000000\"")]
    [InlineData("")]
    public void A_large_shared_string_table_keeps_every_text_whatever_its_declared_count(string declared)
    {
        // One-byte text (e-mail, Latin-1 é) and two-byte text (Chinese, an emoji's surrogate pair) side by side, over
        // several 1 MB pages of the compact table; the declared count may be right, too small, absurd or missing.
        string Text(int i) => (i % 4) switch
        {
            0 => $"zhang{i}@163.com",
            1 => $"北京华夏科技有限公司第{i}分公司😀" + new string('客', i % 300),
            2 => $"café {i} " + new string('x', i % 500),
            _ => i % 8 == 3 ? "" : "é",
        };
        const int n = 30_000;
        var sst = new StringBuilder($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><sst xmlns=\"{Main}\" {declared}>");
        for (var i = 0; i < n; i++) sst.Append("<si><t>").Append(Text(i)).Append("</t></si>");
        sst.Append("</sst>");
        var sheet = new StringBuilder($"<worksheet xmlns=\"{Main}\"><sheetData>");
        // Each row reads two items: one from the front, one from the back of the table.
        for (var i = 0; i < n; i++) sheet.Append($"<row r=\"{i + 1}\"><c t=\"s\"><v>{i}</v></c><c t=\"s\"><v>{n - 1 - i}</v></c></row>");
        sheet.Append("</sheetData></worksheet>");

        var rows = XlsxSheet.Open(Workbook(sheet.ToString(), sharedStrings: sst.ToString())).Rows().ToList();

        Assert.Equal(n, rows.Count);
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(Text(i), rows[i].Cells[0]);
            Assert.Equal(Text(n - 1 - i), rows[i].Cells[1]);
        }
    }

    [Fact]
    public void Dates_of_the_1904_system_are_shifted()
    {
        var path = Workbook($"""<worksheet xmlns="{Main}"><sheetData><row r="1"><c r="A1" s="1"><v>0</v></c></row></sheetData></worksheet>""", date1904: true);
        Assert.Equal(new DateTime(1904, 1, 1), XlsxSheet.Open(path).Rows().Single().Cells[0]);
    }

    /// <summary>
    /// A sheet of <paramref name="rows"/> row elements (the header included) with text that looks like row tags, an empty
    /// row and a row without attributes; the prefix is the one the sheet's elements carry ("" as Excel writes, "x:" as
    /// MiniExcel does).
    /// </summary>
    private string CountingSheet(string prefix, string? dimension, int rows)
    {
        var ns = prefix.Length == 0 ? "xmlns" : "xmlns:" + prefix[..^1];
        var sheet = new StringBuilder($"<?xml version=\"1.0\" encoding=\"utf-8\"?><{prefix}worksheet {ns}=\"{Main}\">");
        if (dimension is not null) sheet.Append($"<{prefix}dimension ref=\"{dimension}\"/>");
        sheet.Append($"<{prefix}sheetData><{prefix}row r=\"1\"><{prefix}c r=\"A1\" t=\"inlineStr\"><{prefix}is><{prefix}t>客户名称</{prefix}t></{prefix}is></{prefix}c></{prefix}row>");
        for (var r = 2; r <= rows; r++)
        {
            var text = (r % 7) switch { 0 => "a:row b", 1 => "x:row>", 2 => "&lt;row r=\"9\"&gt;", _ => "张伟" + new string('·', r % 5) };
            if (r == 50) sheet.Append($"<{prefix}row r=\"{r}\"/>");
            else if (r == 60) sheet.Append($"<{prefix}row><{prefix}c t=\"inlineStr\"><{prefix}is><{prefix}t>{text}</{prefix}t></{prefix}is></{prefix}c></{prefix}row>");
            else sheet.Append($"<{prefix}row r=\"{r}\" spans=\"1:1\"><{prefix}c r=\"A{r}\" t=\"inlineStr\"><{prefix}is><{prefix}t>{text}</{prefix}t></{prefix}is></{prefix}c></{prefix}row>\n");
        }
        sheet.Append($"</{prefix}sheetData></{prefix}worksheet>");
        return Workbook(sheet.ToString());
    }

    [Theory]
    [InlineData("", "A1:A3")]   // Excel's form, with a dimension that is wrong (a writer that never updated it)
    [InlineData("x:", null)]    // MiniExcel's form: prefixed, no dimension
    [InlineData("ss:", null)]
    public void Rows_are_counted_on_the_raw_sheet_whatever_it_declares_and_wherever_a_read_ends(string prefix, string? dimension)
    {
        const int Rows = 3000;
        var path = CountingSheet(prefix, dimension, Rows);
        var sheet = XlsxSheet.Open(path);
        Assert.Equal(Rows, sheet.Rows().Count() + 1); // the empty row is a row too
        // Reads of every length from 65 to 140 bytes put every byte of some row tag at the end of a read.
        for (var bytes = 65; bytes <= 140; bytes++) Assert.Equal(Rows, sheet.CountRowElements(bytes));
        Assert.Equal(Rows, sheet.CountRowElements());

        using var table = ImportTable.Open(path, "客户.xlsx", null, new ImportLimits());
        Assert.Equal(Rows - 1, table.CountUpperBound());
        Assert.Equal(Rows - 2, table.Rows().Count()); // the empty row is left out
        if (dimension is null) Assert.InRange(table.EstimatedRows, Rows * 0.8, Rows * 1.2); // from the first 64 KB, scaled
        else Assert.Equal(2, table.EstimatedRows);
    }

    [Fact]
    public void A_sheet_through_the_import_table_maps_the_header_and_numbers_rows_as_excel_does()
    {
        var path = Workbook($"""
            <worksheet xmlns="{Main}"><dimension ref="A1:B3"/><sheetData>
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>手机</t></is></c></row>
            <row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3"><v>13812345678</v></c></row>
            </sheetData></worksheet>
            """);
        using var table = ImportTable.Open(path, "客户.xlsx", null, new ImportLimits());
        Assert.Equal(["客户名称", "手机"], table.Headers);
        Assert.Equal(2, table.EstimatedRows);
        var row = Assert.Single(table.Rows());
        Assert.Equal(3, row.Line);
        Assert.Equal("13812345678", ImportTable.Text(row.Cells[1]));
    }

    [Theory]
    [InlineData("yyyy\"年\"m\"月\"d\"日\"", true)]
    [InlineData("[$-804]yyyy/m/d h:mm", true)]
    [InlineData("0.00\"万元\"", false)]
    [InlineData("[Red]#,##0;[Blue]-#,##0", false)]
    [InlineData("\\d0", false)]
    [InlineData("General", false)]
    [InlineData("@", false)]
    public void Custom_formats_are_dates_only_when_they_show_date_parts(string code, bool date) => Assert.Equal(date, XlsxSheet.IsDateFormat(code));

    [Theory]
    [InlineData("A1", 0)]
    [InlineData("Z9", 25)]
    [InlineData("AA10", 26)]
    [InlineData("XFD1048576", 16383)]
    public void Column_letters_give_the_column(string reference, int column) => Assert.Equal(column, XlsxSheet.ColumnIndex(reference));
}
