using System.IO.Compression;
using System.Security;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.CustomFields;

namespace Renmai.Features.Import;

/// <summary>
/// 客户导入模板.xlsx: the import's Chinese headers, an example row, the current custom fields and
/// drop-downs (data validation lists) on the classification columns. MiniExcel writes no data
/// validation, so this small workbook is written as SpreadsheetML parts by hand (ADR 0021).
/// </summary>
public sealed class ImportTemplate(IDbContextFactory<RenmaiDb> dbs)
{
    public const string FileName = "客户导入模板.xlsx";
    public const string ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    private static readonly Dictionary<string, string> Example = new()
    {
        ["name"] = "北京华夏科技有限公司", ["kind"] = "企业客户", ["mobile"] = "13800138000", ["landline"] = "010-88886666",
        ["email"] = "contact@huaxia.example.com", ["uscc"] = "91110108MA01234567", ["type"] = "潜在客户", ["intent"] = "B级",
        ["stage"] = "意向", ["valueTier"] = "高", ["leadSource"] = "展会", ["industry"] = "软件和信息技术服务", ["region"] = "华北",
        ["province"] = "北京市", ["city"] = "北京市", ["district"] = "海淀区", ["street"] = "中关村大街 1 号", ["tags"] = "重点客户,2026展会",
        ["title"] = "", ["contactName"] = "王建国", ["contactTitle"] = "采购经理", ["contactDepartment"] = "采购部",
        ["contactMobile"] = "13912345678", ["contactEmail"] = "wangjg@huaxia.example.com", ["contactWeChat"] = "wangjianguo_cg", ["contactBirthDate"] = "1980-05-20", ["contactGender"] = "男", ["contactRole"] = "关键决策人", ["staffCount"] = "120", ["creditLimitFen"] = "50000", ["notes"] = "示例行，导入前请删除",
    };

    /// <summary>The template's columns: the fields people fill in most (no customer number: it is assigned).</summary>
    private static readonly string[] Columns =
        ["name", "kind", "mobile", "landline", "email", "uscc", "contactName", "contactTitle", "contactDepartment", "contactMobile", "contactEmail", "contactWeChat", "contactBirthDate", "contactGender", "contactRole", "type", "intent", "stage", "valueTier", "potential", "riskLevel", "leadSource",
         "industry", "region", "province", "city", "district", "street", "tags", "title", "company", "gender", "birthDate", "staffCount", "creditLimitFen",
         "wechat", "qq", "notes"];

    public async Task<byte[]> BuildAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var defs = await db.Set<CustomFieldDefinition>().AsNoTracking().OrderBy(d => d.SortOrder).ToListAsync(ct);
        var all = ImportFields.All(defs);
        var fields = Columns.Select(k => all.Single(f => f.Key == k)).Concat(all.Where(f => f.Key.StartsWith("cf.", StringComparison.Ordinal))).ToList();
        var headers = fields.Select(f => f.Label + (f.Key == "creditLimitFen" ? "（元）" : "")).ToList();
        var example = fields.Select(f => Example.GetValueOrDefault(f.Key, "")).ToList();
        // The example USCC carries a valid check character, so the example row passes validation.
        var uscc = fields.FindIndex(f => f.Key == "uscc");
        example[uscc] = "91110108MA0123456" + Customers.Validators.UsccCheckChar("91110108MA0123456");
        var lists = new List<(int Column, IReadOnlyList<string> Options)>();
        for (var i = 0; i < fields.Count; i++)
        {
            var options = fields[i].EnumType is not null ? ImportFields.Options(fields[i])
                : defs.FirstOrDefault(d => "cf." + d.Key == fields[i].Key && d.Type == CustomFieldType.SingleSelect)?.Options ?? [];
            // An inline list may hold 255 characters (Excel's limit).
            if (options.Count > 0 && string.Join(",", options).Length <= 250) lists.Add((i, options));
        }

        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(zip, "[Content_Types].xml", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>""");
            Add(zip, "_rels/.rels", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>""");
            Add(zip, "xl/workbook.xml", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="客户" sheetId="1" r:id="rId1"/></sheets></workbook>""");
            Add(zip, "xl/_rels/workbook.xml.rels", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>""");
            // Style 1: bold header; style 2: text (@), so phones and codes typed into the sheet stay text.
            Add(zip, "xl/styles.xml", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="等线"/></font><font><b/><sz val="11"/><name val="等线"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="3"><xf/><xf fontId="1" applyFont="1"/><xf numFmtId="49" applyNumberFormat="1"/></cellXfs></styleSheet>""");
            var sheet = new StringBuilder();
            sheet.Append("""<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">""");
            sheet.Append("<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews>");
            sheet.Append("<cols>");
            for (var i = 0; i < fields.Count; i++) sheet.Append($"<col min=\"{i + 1}\" max=\"{i + 1}\" width=\"{(i == 0 ? 28 : 16)}\" style=\"2\" customWidth=\"1\"/>");
            sheet.Append("</cols><sheetData>");
            sheet.Append(Row(1, headers, 1));
            sheet.Append(Row(2, example, 2));
            sheet.Append("</sheetData>");
            if (lists.Count > 0)
            {
                sheet.Append($"<dataValidations count=\"{lists.Count}\">");
                foreach (var (col, options) in lists)
                {
                    var range = $"{Column(col)}2:{Column(col)}100000";
                    sheet.Append($"<dataValidation type=\"list\" allowBlank=\"1\" showErrorMessage=\"1\" errorTitle=\"{Esc(headers[col])}\" error=\"请从下拉列表中选择\" sqref=\"{range}\"><formula1>\"{Esc(string.Join(",", options))}\"</formula1></dataValidation>");
                }
                sheet.Append("</dataValidations>");
            }
            sheet.Append("</worksheet>");
            Add(zip, "xl/worksheets/sheet1.xml", sheet.ToString());
        }
        return ms.ToArray();
    }

    private static string Row(int r, IReadOnlyList<string> values, int style)
    {
        var sb = new StringBuilder($"<row r=\"{r}\">");
        for (var i = 0; i < values.Count; i++)
            sb.Append($"<c r=\"{Column(i)}{r}\" t=\"inlineStr\" s=\"{style}\"><is><t>{Esc(values[i])}</t></is></c>");
        return sb.Append("</row>").ToString();
    }

    public static string Column(int index)
    {
        var s = "";
        for (var n = index + 1; n > 0; n = (n - 1) / 26) s = (char)('A' + (n - 1) % 26) + s;
        return s;
    }

    private static string Esc(string s) => SecurityElement.Escape(s) ?? "";

    private static void Add(ZipArchive zip, string name, string content)
    {
        using var w = new StreamWriter(zip.CreateEntry(name, CompressionLevel.Optimal).Open(), new UTF8Encoding(false));
        w.Write(content);
    }
}
