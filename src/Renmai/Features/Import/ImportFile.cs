using System.Globalization;
using System.IO.Compression;
using System.Text;
using Sylvan.Data.Csv;

namespace Renmai.Features.Import;

/// <summary>A file that cannot be imported at all: the message says why, in Chinese; nothing is written.</summary>
public sealed class ImportFileException(string message) : Exception(message);

/// <summary>Size limits for uploads (configuration section Import; ADR 0021).</summary>
public sealed class ImportLimits
{
    /// <summary>Largest upload (the file as sent).</summary>
    public long MaxFileBytes { get; set; } = 1024L * 1024 * 1024;
    /// <summary>Largest total uncompressed size of an xlsx package, checked before parsing.</summary>
    public long MaxUncompressedBytes { get; set; } = 4L * 1024 * 1024 * 1024;
    /// <summary>Largest compression ratio of one xlsx part; real sheets stay far below it, zip bombs far above.</summary>
    public int MaxCompressionRatio { get; set; } = 200;
}

/// <summary>One data row: its line in the file (the header is line 1) and its cells as read (string, double, DateTime, bool or null).</summary>
public readonly record struct ImportRow(long Line, object?[] Cells);

/// <summary>
/// An open import file: the header row, an estimate of the data rows (for the progress bar) and the
/// data rows, streamed. Csv/txt through Sylvan.Data.Csv with the encoding and separator detected;
/// xlsx through <see cref="XlsxSheet"/> after the package's sizes were checked.
/// </summary>
public sealed class ImportTable : IDisposable
{
    private readonly Func<IEnumerable<ImportRow>> _rows;
    private readonly Func<long> _countUpperBound;
    private readonly IDisposable? _owner;

    private ImportTable(IReadOnlyList<string> headers, long estimatedRows, string describe, Func<IEnumerable<ImportRow>> rows, Func<long> countUpperBound,
        IDisposable? owner)
    {
        _countUpperBound = countUpperBound;
        Headers = headers;
        EstimatedRows = estimatedRows;
        Description = describe;
        _rows = rows;
        _owner = owner;
    }

    public IReadOnlyList<string> Headers { get; }
    public long EstimatedRows { get; }
    /// <summary>What was detected, e.g. "CSV，GB18030 编码，逗号分隔".</summary>
    public string Description { get; }

    /// <summary>The data rows; completely empty rows are left out.</summary>
    public IEnumerable<ImportRow> Rows() => _rows();

    /// <summary>
    /// Data rows at most, counted through the file (unlike <see cref="EstimatedRows"/>): customer numbers are reserved
    /// for this many before a load starts. Csv: the rows read; xlsx: its row elements, without parsing the cells.
    /// </summary>
    public long CountUpperBound() => _countUpperBound();

    public void Dispose() => _owner?.Dispose();

    public static bool IsExcel(string fileName) => Path.GetExtension(fileName).Equals(".xlsx", StringComparison.OrdinalIgnoreCase);

    public static void CheckExtension(string fileName)
    {
        var ext = Path.GetExtension(fileName).ToLowerInvariant();
        if (ext == ".xls") throw new ImportFileException("不支持旧版 .xls 格式，请在 Excel 中“另存为” .xlsx 或 .csv 后再导入");
        if (ext is not (".xlsx" or ".csv" or ".txt")) throw new ImportFileException($"不支持的文件类型“{ext}”，请上传 .xlsx、.csv 或 .txt 文件");
    }

    /// <param name="encoding">utf-8, gbk/gb18030 or utf-16; null detects it.</param>
    public static ImportTable Open(string path, string fileName, string? encoding, ImportLimits limits)
    {
        CheckExtension(fileName);
        var length = new FileInfo(path).Length;
        if (length == 0) throw new ImportFileException("文件是空的，没有可导入的内容");
        if (length > limits.MaxFileBytes)
            throw new ImportFileException($"文件过大（{length / 1048576.0:F0} MB），上限为 {limits.MaxFileBytes / 1048576} MB");
        return IsExcel(fileName) ? OpenExcel(path, limits) : OpenCsv(path, encoding);
    }

    // ---- CSV ----------------------------------------------------------------------------------

    public static Encoding ParseEncoding(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        null or "" => throw new ArgumentNullException(nameof(name)),
        "utf-8" or "utf8" => new UTF8Encoding(false),
        "gbk" or "gb2312" or "gb18030" or "936" => Encoding.GetEncoding("GB18030"),
        "utf-16" or "utf16" or "unicode" or "utf-16le" => Encoding.Unicode,
        "utf-16be" => Encoding.BigEndianUnicode,
        _ => throw new ImportFileException($"不支持的编码“{name}”，可选：utf-8、gbk、utf-16"),
    };

    /// <summary>BOM first; then strict UTF-8; then UTF-16 without BOM (many zero bytes); otherwise GB18030 (Chinese Excel's CSV).</summary>
    public static (Encoding Encoding, int Preamble) Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) return (new UTF8Encoding(false), 3);
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) return (Encoding.Unicode, 2);
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) return (Encoding.BigEndianUnicode, 2);
        int evenZeros = 0, oddZeros = 0;
        for (var i = 0; i < head.Length; i++)
            if (head[i] == 0) { if (i % 2 == 0) evenZeros++; else oddZeros++; }
        if (oddZeros > head.Length / 4) return (Encoding.Unicode, 0);
        if (evenZeros > head.Length / 4) return (Encoding.BigEndianUnicode, 0);
        // The sample may end inside a multi-byte character: drop up to 3 trailing bytes of a started sequence.
        var sample = head;
        for (var cut = 1; cut <= 3 && sample.Length > cut; cut++)
            if ((head[^cut] & 0xC0) == 0xC0) { sample = head[..^cut]; break; }
        try
        {
            new UTF8Encoding(false, true).GetCharCount(sample);
            return (new UTF8Encoding(false), 0);
        }
        catch (DecoderFallbackException)
        {
            return (Encoding.GetEncoding("GB18030"), 0);
        }
    }

    private static ImportTable OpenCsv(string path, string? encodingName)
    {
        var head = new byte[64 * 1024];
        int n;
        using (var probe = File.OpenRead(path)) n = probe.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var (encoding, preamble) = Detect(head.AsSpan(0, n));
        if (encodingName is not null)
        {
            encoding = ParseEncoding(encodingName);
            preamble = encoding.GetPreamble().Length > 0 && head.AsSpan(0, n).StartsWith(encoding.GetPreamble()) ? encoding.GetPreamble().Length : 0;
        }
        var text = encoding.GetString(head, preamble, n - preamble);
        var firstLine = text.Split('\n')[0];
        // The separator that splits the header into the most columns.
        var delimiter = new[] { ',', '\t', ';' }.MaxBy(c => firstLine.Count(x => x == c));
        if (firstLine.Trim().Length == 0) throw new ImportFileException("文件第 1 行（表头）是空的，请把列名放在第一行");
        var estimate = Math.Max(0, LineEstimate(path, head.AsSpan(0, n), encoding) - 1);

        TextReader OpenReader()
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            stream.Position = preamble;
            return new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: false, 1 << 16);
        }
        var options = new CsvDataReaderOptions { HasHeaders = true, Delimiter = delimiter, BufferSize = 1 << 16, MaxBufferSize = 1 << 24, HeaderComparer = StringComparer.Ordinal };
        string[] headers;
        using (var reader = CsvDataReader.Create(OpenReader(), options))
        {
            headers = [.. Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetName(i).Trim())];
        }
        if (headers.All(h => h.Length == 0)) throw new ImportFileException("文件第 1 行（表头）是空的，请把列名放在第一行");

        IEnumerable<ImportRow> Rows()
        {
            using var reader = CsvDataReader.Create(OpenReader(), options);
            long line = 1;
            while (true)
            {
                bool more;
                try { more = reader.Read(); }
                catch (Exception ex) when (ex is CsvFormatException or CsvRecordTooLargeException)
                {
                    throw new ImportFileException($"第 {line + 1} 行附近格式有误（引号不成对或一行过长），无法继续读取");
                }
                if (!more) yield break;
                line++;
                var count = reader.RowFieldCount;
                var cells = new object?[Math.Max(count, headers.Length)];
                var any = false;
                for (var i = 0; i < count; i++)
                {
                    var s = reader.GetString(i);
                    if (s.Length > 0) { cells[i] = s; any = true; }
                }
                if (any) yield return new ImportRow(line, cells);
            }
        }
        var name = encoding.CodePage switch { 54936 => "GB18030/GBK", 1200 or 1201 => "UTF-16", _ => "UTF-8" };
        var sep = delimiter switch { '\t' => "制表符", ';' => "分号", _ => "逗号" };
        return new ImportTable(headers, estimate, $"CSV，{name} 编码，{sep}分隔", Rows, () => Rows().LongCount(), null);
    }

    /// <summary>Lines in the file, counted from the sample's line length (exact for small files).</summary>
    private static long LineEstimate(string path, ReadOnlySpan<byte> head, Encoding encoding)
    {
        var length = new FileInfo(path).Length;
        var unit = encoding.CodePage is 1200 or 1201 ? 2 : 1;
        long lines = 0;
        for (var i = unit == 2 && encoding.CodePage == 1200 ? 0 : unit - 1; i < head.Length; i += unit)
            if (head[i] == (byte)'\n' && (unit == 1 || head[i + (encoding.CodePage == 1200 ? 1 : -1)] == 0)) lines++;
        if (head.Length >= length) return lines + (head.Length > 0 && head[^1] != '\n' ? 1 : 0);
        return lines == 0 ? 0 : (long)(lines * (double)length / head.Length);
    }

    // ---- XLSX ---------------------------------------------------------------------------------

    private const string BrokenXlsx = "文件已损坏或不完整（不是有效的 xlsx 工作簿），请重新保存后再上传";

    private static ImportTable OpenExcel(string path, ImportLimits limits)
    {
        XlsxSheet sheet;
        long estimate;
        string[] headers;
        try
        {
            using (var zip = ZipFile.OpenRead(path))
            {
                long total = 0;
                foreach (var entry in zip.Entries)
                {
                    total += entry.Length;
                    if (entry.Length > 1_000_000 && entry.CompressedLength > 0 && entry.Length / entry.CompressedLength > limits.MaxCompressionRatio)
                        throw new ImportFileException($"文件中的“{entry.FullName}”解压后异常膨胀（压缩比超过 {limits.MaxCompressionRatio}:1），疑似压缩炸弹，已拒绝");
                }
                if (total > limits.MaxUncompressedBytes)
                    throw new ImportFileException($"文件解压后过大（{total / 1048576} MB），上限为 {limits.MaxUncompressedBytes / 1048576} MB，已拒绝");
                if (zip.GetEntry("xl/workbook.xml") is null) throw new ImportFileException("文件不是有效的 Excel 工作簿（缺少 xl/workbook.xml），请用 Excel 重新保存为 .xlsx");
            }
            sheet = XlsxSheet.Open(path);
            estimate = sheet.EstimatedRows;
            var (number, first) = sheet.Rows().FirstOrDefault();
            if (first is null) throw new ImportFileException("工作表是空的，没有可导入的内容");
            headers = number == 1 ? [.. first.Select(v => Text(v)?.Trim() ?? "")] : [];
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or System.Xml.XmlException)
        {
            throw new ImportFileException(BrokenXlsx);
        }
        var width = headers.Length;
        while (width > 0 && headers[width - 1].Length == 0) width--;
        headers = headers[..width];
        if (width == 0) throw new ImportFileException("工作表第 1 行（表头）是空的，请把列名放在第一行");

        IEnumerable<ImportRow> Rows()
        {
            using var enumerator = sheet.Rows().GetEnumerator();
            long line = 1;
            while (true)
            {
                bool more;
                try { more = enumerator.MoveNext(); }
                catch (Exception ex) when (ex is InvalidDataException or IOException or System.Xml.XmlException)
                {
                    throw new ImportFileException($"第 {line + 1} 行附近文件已损坏或不完整，无法继续读取");
                }
                if (!more) yield break;
                var (number, read) = enumerator.Current;
                line = number;
                if (number <= 1) continue;
                var cells = new object?[width];
                var any = false;
                for (var i = 0; i < width && i < read.Length; i++)
                {
                    var v = read[i];
                    if (v is not null && !(v is string s && s.Length == 0)) { cells[i] = v; any = true; }
                }
                if (any) yield return new ImportRow(number, cells);
            }
        }
        // The header row is one of the row elements.
        long CountUpperBound()
        {
            try { return Math.Max(0, sheet.CountRowElements() - 1); }
            catch (Exception ex) when (ex is InvalidDataException or IOException)
            {
                throw new ImportFileException(BrokenXlsx);
            }
        }
        return new ImportTable(headers, estimate, "Excel 工作簿（.xlsx）", Rows, CountUpperBound, null);
    }

    /// <summary>A cell as text the way a person reads it: whole numbers without ".0" or exponent.</summary>
    public static string? Text(object? cell) => cell switch
    {
        null => null,
        string s => s,
        double d when Math.Abs(d) < 1e15 && d == Math.Floor(d) => d.ToString("0", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        decimal m => m.ToString(CultureInfo.InvariantCulture),
        DateTime dt => dt.TimeOfDay == TimeSpan.Zero ? dt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : dt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
        bool b => b ? "是" : "否",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => cell.ToString(),
    };
}
