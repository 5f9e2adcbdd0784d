using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Xml;

namespace Renmai.Features.Import;

/// <summary>
/// Streams the first worksheet of an xlsx package with an <see cref="XmlReader"/>: shared strings (kept compactly,
/// a large sheet can hold millions), the styles that make a number a date (built-in and custom date formats, the
/// 1904 date system), inline and formula strings, booleans and errors. Cells come as string, double, DateTime or
/// bool, in the columns their reference names, and each row with its row number as Excel shows it.
/// It replaced MiniExcel's reader for imports, which built a dictionary per row and read a million rows in 54 s.
/// </summary>
public sealed class XlsxSheet
{
    private readonly string _path;
    private readonly string _sheetEntry;
    private readonly SharedStrings _strings;
    private readonly bool[] _dateStyles;
    private readonly bool _date1904;

    private XlsxSheet(string path, string sheetEntry, long estimatedRows, SharedStrings strings, bool[] dateStyles, bool date1904)
    {
        _path = path;
        EstimatedRows = estimatedRows;
        _sheetEntry = sheetEntry;
        _strings = strings;
        _dateStyles = dateStyles;
        _date1904 = date1904;
    }

    /// <summary>The package part of the sheet that is read (for the row estimate).</summary>
    public string SheetEntry => _sheetEntry;

    /// <summary>
    /// About how many data rows (rows after the first) the sheet has, for the progress bar: what its &lt;dimension&gt;
    /// declares, or, when it declares none (MiniExcel and other streaming writers, our own export among them), the
    /// rows at its start scaled to the part's size. Neither is a bound: use <see cref="CountRowElements"/> for one.
    /// </summary>
    public long EstimatedRows { get; }

    /// <summary>Reads the workbook, its relationships, shared strings and styles. Throws InvalidDataException for a package that is not a workbook.</summary>
    public static XlsxSheet Open(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var workbook = Entry(zip, "xl/workbook.xml") ?? throw new InvalidDataException("xl/workbook.xml is missing");
        string? firstSheetId = null;
        var date1904 = false;
        using (var r = Reader(workbook.Open()))
        {
            while (r.Read())
            {
                if (r.NodeType != XmlNodeType.Element) continue;
                if (r.LocalName == "workbookPr") date1904 = r.GetAttribute("date1904") is "1" or "true";
                else if (r.LocalName == "sheet" && firstSheetId is null)
                    firstSheetId = r.GetAttribute("id", "http://schemas.openxmlformats.org/officeDocument/2006/relationships")
                        ?? r.GetAttribute("id", "http://purl.oclc.org/ooxml/officeDocument/relationships");
            }
        }
        var targets = new Dictionary<string, (string Type, string Target)>(StringComparer.Ordinal);
        if (Entry(zip, "xl/_rels/workbook.xml.rels") is { } rels)
        {
            using var r = Reader(rels.Open());
            while (r.Read())
                if (r.NodeType == XmlNodeType.Element && r.LocalName == "Relationship" && r.GetAttribute("Id") is { } id)
                    targets[id] = (r.GetAttribute("Type") ?? "", PartName(r.GetAttribute("Target") ?? ""));
        }
        string? PartOf(string typeSuffix) => targets.Values.Where(t => t.Type.EndsWith(typeSuffix, StringComparison.Ordinal)).Select(t => t.Target).FirstOrDefault();

        var sheet = firstSheetId is not null && targets.TryGetValue(firstSheetId, out var s) && Entry(zip, s.Target) is { } named ? named
            : zip.Entries.Where(e => e.FullName.StartsWith("xl/worksheets/sheet", StringComparison.OrdinalIgnoreCase)).OrderBy(e => e.FullName, StringComparer.Ordinal).FirstOrDefault()
            ?? throw new InvalidDataException("the workbook has no worksheet");
        var strings = Entry(zip, PartOf("/sharedStrings") ?? "xl/sharedStrings.xml") is { } sst ? SharedStrings.Read(sst) : new SharedStrings();
        var styles = Entry(zip, PartOf("/styles") ?? "xl/styles.xml") is { } st ? DateStyles(st) : [];
        return new XlsxSheet(path, sheet.FullName, Estimate(sheet), strings, styles, date1904);
    }

    /// <summary>The sheet's rows in order: the row number (1 = the first row of the sheet) and the cells by column (A = 0).
    /// Each enumeration reads the sheet from the start.</summary>
    public IEnumerable<(long Row, object?[] Cells)> Rows()
    {
        using var zip = ZipFile.OpenRead(_path);
        var entry = zip.GetEntry(_sheetEntry) ?? throw new InvalidDataException(_sheetEntry + " is missing");
        using var r = Reader(entry.Open());
        var names = r.NameTable;
        string row = names.Add("row"), c = names.Add("c"), v = names.Add("v"), inline = names.Add("is");
        var cells = new List<object?>(32);
        var text = new StringBuilder();
        long rowNumber = 0;
        while (r.Read())
        {
            if (r.NodeType != XmlNodeType.Element || !ReferenceEquals(r.LocalName, row)) continue;
            rowNumber = long.TryParse(r.GetAttribute("r"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : rowNumber + 1;
            cells.Clear();
            if (r.IsEmptyElement) continue;
            var rowDepth = r.Depth;
            var column = -1;
            while (r.Read() && !(r.NodeType == XmlNodeType.EndElement && r.Depth == rowDepth))
            {
                if (r.NodeType != XmlNodeType.Element || !ReferenceEquals(r.LocalName, c)) continue;
                column = ColumnIndex(r.GetAttribute("r")) ?? column + 1;
                var type = r.GetAttribute("t");
                var style = int.TryParse(r.GetAttribute("s"), NumberStyles.None, CultureInfo.InvariantCulture, out var si) ? si : 0;
                string? value = null;
                if (!r.IsEmptyElement)
                {
                    var cellDepth = r.Depth;
                    r.Read();
                    while (!(r.NodeType == XmlNodeType.EndElement && r.Depth == cellDepth) && !r.EOF)
                    {
                        if (r.NodeType == XmlNodeType.Element && ReferenceEquals(r.LocalName, v)) value = r.ReadElementContentAsString();
                        else if (r.NodeType == XmlNodeType.Element && ReferenceEquals(r.LocalName, inline)) value = ItemText(r, text);
                        else if (r.NodeType == XmlNodeType.Element) r.Skip(); // <f> formulas, <extLst>
                        else r.Read();
                    }
                }
                if (value is null || column > 16_383) continue;
                while (cells.Count <= column) cells.Add(null);
                cells[column] = Value(type, style, value);
            }
            yield return (rowNumber, cells.ToArray());
        }
    }

    private object? Value(string? type, int style, string value)
    {
        switch (type)
        {
            case "s":
                return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? _strings[i] : null;
            case "inlineStr" or "str" or "e":
                return value;
            case "b":
                return value.Trim() is "1" or "true";
            case "d":
                return DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var iso) ? iso : value;
        }
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return value;
        if (style < _dateStyles.Length && _dateStyles[style] && d > -657435 && d < 2958466)
            return DateTime.FromOADate(_date1904 ? d + 1462 : d);
        return d;
    }

    private static string ItemText(XmlReader r, StringBuilder sb)
    {
        ReadItem(r, sb);
        return sb.ToString();
    }

    /// <summary>The text of an &lt;si&gt; or &lt;is&gt; item into <paramref name="sb"/>: its runs' &lt;t&gt; joined, without
    /// phonetic guides (&lt;rPh&gt;). Leaves the reader after the item's end tag.</summary>
    private static void ReadItem(XmlReader r, StringBuilder sb)
    {
        sb.Clear();
        if (r.IsEmptyElement)
        {
            r.Read();
            return;
        }
        var depth = r.Depth;
        r.Read();
        while (!(r.NodeType == XmlNodeType.EndElement && r.Depth == depth) && !r.EOF)
        {
            if (r.NodeType == XmlNodeType.Element && r.LocalName == "t") sb.Append(r.ReadElementContentAsString());
            else if (r.NodeType == XmlNodeType.Element && r.LocalName == "rPh") r.Skip();
            else r.Read();
        }
        r.Read();
    }

    /// <summary>"C12" → 2; null when the reference has no column letters.</summary>
    internal static int? ColumnIndex(string? reference)
    {
        if (string.IsNullOrEmpty(reference)) return null;
        var column = 0;
        var letters = 0;
        foreach (var ch in reference)
        {
            var upper = (char)(ch & ~0x20);
            if (upper is < 'A' or > 'Z') break;
            column = column * 26 + (upper - 'A' + 1);
            letters++;
            if (letters > 3) return null;
        }
        return letters == 0 ? null : column - 1;
    }

    /// <summary>Which cell formats (cellXfs, by index) show a number as a date or time.</summary>
    private static bool[] DateStyles(ZipArchiveEntry styles)
    {
        var custom = new Dictionary<int, string>();
        var formats = new List<int>();
        using var r = Reader(styles.Open());
        var inCellXfs = false;
        while (r.Read())
        {
            if (r.NodeType == XmlNodeType.EndElement && r.LocalName == "cellXfs") inCellXfs = false;
            if (r.NodeType != XmlNodeType.Element) continue;
            switch (r.LocalName)
            {
                case "numFmt" when int.TryParse(r.GetAttribute("numFmtId"), CultureInfo.InvariantCulture, out var id):
                    custom[id] = r.GetAttribute("formatCode") ?? "";
                    break;
                case "cellXfs":
                    inCellXfs = !r.IsEmptyElement;
                    break;
                case "xf" when inCellXfs:
                    formats.Add(int.TryParse(r.GetAttribute("numFmtId"), CultureInfo.InvariantCulture, out var f) ? f : 0);
                    break;
            }
        }
        return [.. formats.Select(id => custom.TryGetValue(id, out var code) ? IsDateFormat(code) : IsBuiltInDate(id))];
    }

    /// <summary>Excel's built-in date and time formats, including the Chinese ones (27–36, 50–58: yyyy"年"m"月"d"日" …).</summary>
    private static bool IsBuiltInDate(int id) => id is >= 14 and <= 22 or >= 27 and <= 36 or >= 45 and <= 47 or >= 50 and <= 58;

    /// <summary>A custom format shows a date when it has y, m, d, h or s outside quotes, escapes and [colour]/[$-804] sections.</summary>
    internal static bool IsDateFormat(string code)
    {
        var inQuote = false;
        var inBracket = false;
        for (var i = 0; i < code.Length; i++)
        {
            var ch = code[i];
            if (inQuote) { inQuote = ch != '"'; continue; }
            if (inBracket) { inBracket = ch != ']'; continue; }
            switch (ch)
            {
                case '"': inQuote = true; break;
                case '[': inBracket = true; break;
                case '\\' or '_' or '*': i++; break;
                case ';': return false; // only the first (positive) section decides
                default:
                    if (char.ToLowerInvariant(ch) is 'y' or 'm' or 'd' or 'h' or 's') return true;
                    break;
            }
        }
        return false;
    }

    /// <summary>
    /// The &lt;row&gt; elements of the sheet (the header row and empty rows included), counted on the raw bytes without
    /// parsing the XML: a million-row sheet takes about the time of inflating it. It is never below the rows
    /// <see cref="Rows"/> returns, whatever the sheet declares; text that happens to contain "&lt;row" or ":row " can only
    /// make it larger.
    /// </summary>
    public long CountRowElements() => CountRowElements(1 << 16);

    /// <param name="bufferBytes">Bytes read at a time (more than 64; tests use small ones to put tags across reads).</param>
    internal long CountRowElements(int bufferBytes)
    {
        using var zip = ZipFile.OpenRead(_path);
        var entry = zip.GetEntry(_sheetEntry) ?? throw new InvalidDataException(_sheetEntry + " is missing");
        using var stream = entry.Open();
        var buffer = new byte[bufferBytes];
        // The last bytes of each read go in front of the next one, so a tag split between two reads is seen whole;
        // a tag is counted in the read where its next byte is, i.e. once.
        const int Keep = 64;
        int kept = 0, n;
        long count = 0;
        while ((n = stream.Read(buffer, kept, buffer.Length - kept)) > 0)
        {
            var filled = kept + n;
            count += RowElements(buffer.AsSpan(0, filled), from: Math.Max(1, kept - 3));
            kept = Math.Min(Keep, filled);
            buffer.AsSpan(filled - kept, kept).CopyTo(buffer);
        }
        return count;
    }

    /// <summary>
    /// Start tags of rows — "&lt;row" or "&lt;x:row" (any prefix) followed by a space, '&gt;' or '/' — whose "row" is at
    /// <paramref name="from"/> or later and whose next byte is in <paramref name="bytes"/>.
    /// </summary>
    private static long RowElements(ReadOnlySpan<byte> bytes, int from)
    {
        long count = 0;
        while (true)
        {
            var found = bytes[from..].IndexOf("row"u8);
            if (found < 0) return count;
            var at = from + found;
            from = at + 1;
            if (at + 3 >= bytes.Length) return count;
            if (bytes[at + 3] is not ((byte)' ' or (byte)'>' or (byte)'/' or (byte)'\t' or (byte)'\r' or (byte)'\n')) continue;
            if (bytes[at - 1] == '<') { count++; continue; }
            if (bytes[at - 1] != ':') continue;
            // A prefixed name: back over the prefix to its '<'; "</x:row>" ends a row. When the prefix runs past the
            // start of what is in memory, it is counted: the count may be too large, never too small.
            var start = at - 2;
            while (start >= 0 && bytes[start] is not ((byte)'<' or (byte)'>' or (byte)' ' or (byte)'"')) start--;
            if (start < 0 || (bytes[start] == '<' && (start + 1 >= at - 1 || bytes[start + 1] != '/'))) count++;
        }
    }

    /// <summary>Data rows from the sheet's &lt;dimension ref="A1:T1000001"/&gt; (near the start of the part), else from the rows in its first 64 KB.</summary>
    private static long Estimate(ZipArchiveEntry sheet)
    {
        using var stream = sheet.Open();
        var buffer = new byte[1 << 16];
        var n = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        var head = buffer.AsSpan(0, n);
        var at = head.IndexOf("dimension ref=\""u8);
        if (at > 0 && head[at - 1] is (byte)'<' or (byte)':')
        {
            var range = head[(at + 15)..];
            var end = range.IndexOf((byte)'"');
            if (end > 0)
            {
                var last = Encoding.ASCII.GetString(range[..end]).Split(':')[^1];
                var digits = new string([.. last.SkipWhile(char.IsLetter)]);
                if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var rows) && rows > 1) return rows - 1;
            }
        }
        var inHead = RowElements(head, from: 1);
        if (n < buffer.Length) return Math.Max(0, inHead - 1);
        return inHead == 0 ? 0 : Math.Max(0, (long)(inHead * (double)sheet.Length / n) - 1);
    }

    private static ZipArchiveEntry? Entry(ZipArchive zip, string name) =>
        zip.GetEntry(name) ?? zip.Entries.FirstOrDefault(e => e.FullName.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>A relationship target as a package part name: "worksheets/sheet1.xml" → "xl/worksheets/sheet1.xml", "/xl/…" → "xl/…".</summary>
    private static string PartName(string target) => target.StartsWith('/') ? target[1..] : "xl/" + (target.StartsWith("./", StringComparison.Ordinal) ? target[2..] : target);

    private static XmlReader Reader(Stream stream) => XmlReader.Create(stream, new XmlReaderSettings
    {
        DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true, IgnoreProcessingInstructions = true, CloseInput = true,
    });

    /// <summary>
    /// The shared string table, compact: a sheet exported from Excel keeps every distinct text here (millions of them
    /// in a large sheet), so the text goes into large shared byte pages and each item is one packed long, instead of
    /// a string object per item. Text whose characters all fit in one byte (phone numbers, e-mail addresses, credit
    /// codes, dates) is kept one byte per character, half of what UTF-16 takes; other text (Chinese) as UTF-16.
    /// </summary>
    private sealed class SharedStrings
    {
        private const int PageBytes = 1 << 20;
        // An item: page (bits 40+), byte offset in the page (20 bits), a flag for two-byte text (bit 19), length in
        // characters (bits 0–18; an Excel cell holds at most 32,767 characters).
        private const long Wide = 1L << 19;
        private const int MaxLength = 32_767;
        private readonly List<byte[]> _pages = [];
        private readonly List<long> _items;
        private int _used = PageBytes;

        public SharedStrings(int expectedItems = 0) => _items = new List<long>(Math.Clamp(expectedItems, 0, 50_000_000));

        public object? this[int index]
        {
            get
            {
                if ((uint)index >= (uint)_items.Count) return null;
                var item = _items[index];
                var length = (int)(item & (Wide - 1));
                if (length == 0) return "";
                var page = _pages[(int)(item >> 40)];
                var offset = (int)((item >> 20) & 0xFFFFF);
                return (item & Wide) == 0
                    ? Encoding.Latin1.GetString(page, offset, length)
                    : new string(MemoryMarshal.Cast<byte, char>(page.AsSpan(offset, length * 2)));
            }
        }

        private void Add(StringBuilder text)
        {
            // Anything longer than a cell can hold is cut there.
            var length = Math.Min(text.Length, MaxLength);
            var wide = false;
            foreach (var chunk in text.GetChunks())
                if (chunk.Span.ContainsAnyExceptInRange((char)0, (char)0xFF)) { wide = true; break; }
            var bytes = wide ? length * 2 : length;
            if (_used + bytes > PageBytes)
            {
                _pages.Add(new byte[PageBytes]);
                _used = 0;
            }
            var target = _pages[^1].AsSpan(_used, bytes);
            if (wide) text.CopyTo(0, MemoryMarshal.Cast<byte, char>(target), length);
            else
            {
                var at = 0;
                foreach (var chunk in text.GetChunks())
                {
                    var take = Math.Min(chunk.Length, length - at);
                    if (take <= 0) break;
                    at += Encoding.Latin1.GetBytes(chunk.Span[..take], target[at..]);
                }
            }
            _items.Add(((long)(_pages.Count - 1) << 40) | ((long)_used << 20) | (wide ? Wide : 0) | (uint)length);
            _used += bytes;
        }

        public static SharedStrings Read(ZipArchiveEntry entry)
        {
            using var r = Reader(entry.Open());
            var si = r.NameTable.Add("si");
            var sb = new StringBuilder();
            r.Read();
            while (!r.EOF && r.NodeType != XmlNodeType.Element) r.Read();
            // <sst uniqueCount="…">: the list is sized once instead of doubling (a doubling copies the whole list and
            // keeps both copies until the next full collection).
            _ = int.TryParse(r.GetAttribute("uniqueCount"), NumberStyles.None, CultureInfo.InvariantCulture, out var expected);
            // The attribute is the file's word: an item takes at least five bytes (<si/>) of the part's declared size.
            var table = new SharedStrings((int)Math.Min(expected, entry.Length / 5));
            while (!r.EOF)
            {
                if (r.NodeType == XmlNodeType.Element && ReferenceEquals(r.LocalName, si))
                {
                    ReadItem(r, sb);
                    table.Add(sb);
                }
                else r.Read();
            }
            return table;
        }
    }
}
