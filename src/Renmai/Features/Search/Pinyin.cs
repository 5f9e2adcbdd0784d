using System.Reflection;
using System.Text;

namespace Renmai.Features.Search;

/// <summary>
/// Toneless pinyin for search: 张伟 → "zhangwei" (<see cref="Full"/>) and "zw" (<see cref="Initials"/>).
/// Readings come from Unihan kMandarin (first, most customary reading; scripts/gen-pinyin.py writes the
/// embedded pinyin.txt). A character has one reading out of context, so a short word table fixes the
/// polyphones that keep appearing in company names and places (银行 hang, 重庆 chong, 厦门 xia …), and the
/// person-name variants read the first character as a surname (曾 zeng, 单 shan, 解 xie …). ASCII letters
/// and digits are kept lower-case (full-width ones folded to ASCII); everything else is dropped.
/// See docs/adr/0018-pinyin.md.
/// </summary>
public static class Pinyin
{
    /// <summary>Full pinyin of any text: 北京华夏科技 → "beijinghuaxiakeji".</summary>
    public static string Full(string? text) => Join(text, personName: false, initials: false);

    /// <summary>Initials of any text: 北京华夏科技 → "bjhxkj".</summary>
    public static string Initials(string? text) => Join(text, personName: false, initials: true);

    /// <summary>Full pinyin of a person's name, the first character(s) read as a surname: 曾伟 → "zengwei".</summary>
    public static string NameFull(string? name) => Join(name, personName: true, initials: false);

    /// <summary>Initials of a person's name, surname reading first: 单雄信 → "sxx".</summary>
    public static string NameInitials(string? name) => Join(name, personName: true, initials: true);

    /// <summary>
    /// The text as pinyin syllables, one per Chinese character, one per ASCII letter/digit (lower-case);
    /// characters without a reading are skipped. Used for Full/Initials and by callers that need both at once.
    /// </summary>
    public static IReadOnlyList<string> Syllables(string? text, bool personName = false)
    {
        var result = new List<string>(text?.Length ?? 0);
        Walk(text, personName, result.Add);
        return result;
    }

    /// <summary>True when the text has at least one character with a pinyin reading (a Han character).</summary>
    public static bool HasHan(string? text)
    {
        if (string.IsNullOrEmpty(text)) return false;
        foreach (var rune in text.EnumerateRunes())
            if (rune.Value > 0x7F && Reading(rune.Value) is not null) return true;
        return false;
    }

    /// <summary>The toneless reading of one character (Unihan first reading, a few overrides), or null.</summary>
    public static string? Reading(int codePoint) => codePoint < 0x10000
        ? Table.Value.Bmp[codePoint]
        : Table.Value.Supplementary.GetValueOrDefault(codePoint);

    static string Join(string? text, bool personName, bool initials)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(text.Length * (initials ? 1 : 4));
        Walk(text, personName, s => { if (initials) sb.Append(s[0]); else sb.Append(s); });
        return sb.ToString();
    }

    static void Walk(string? text, bool personName, Action<string> emit)
    {
        if (string.IsNullOrEmpty(text)) return;
        var i = 0;
        if (personName)
        {
            // Skip leading spaces/punctuation so " 曾伟" still reads the surname.
            while (i < text.Length && Reading(CodePointAt(text, i)) is null && !IsAsciiWord(text[i])) i++;
            foreach (var (surname, readings) in CompoundSurnames)
                if (string.CompareOrdinal(text, i, surname, 0, surname.Length) == 0)
                {
                    foreach (var r in readings) emit(r);
                    i += surname.Length;
                    personName = false;
                    break;
                }
            if (personName && i < text.Length && Surnames.TryGetValue(text[i], out var reading))
            {
                emit(reading);
                i++;
            }
        }
        while (i < text.Length)
        {
            var c = text[i];
            if (c >= 0xFF01 && c <= 0xFF5E) c = (char)(c - 0xFEE0); // full-width ASCII → ASCII
            if (IsAsciiWord(c))
            {
                emit(AsciiTokens[char.ToLowerInvariant(c)]);
                i++;
                continue;
            }
            if (c > 0x7F && Words.TryGetValue(c, out var words))
            {
                var matched = false;
                foreach (var (word, readings) in words)
                    if (string.CompareOrdinal(text, i, word, 0, word.Length) == 0)
                    {
                        foreach (var r in readings) emit(r);
                        i += word.Length;
                        matched = true;
                        break;
                    }
                if (matched) continue;
            }
            var cp = CodePointAt(text, i);
            if (Reading(cp) is { } syllable) emit(syllable);
            i += cp > 0xFFFF ? 2 : 1;
        }
    }

    static bool IsAsciiWord(char c) => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9';

    static int CodePointAt(string s, int i) =>
        char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? char.ConvertToUtf32(s[i], s[i + 1]) : s[i];

    // One interned string per ASCII letter/digit so Walk does not allocate for them.
    static readonly Dictionary<char, string> AsciiTokens =
        "abcdefghijklmnopqrstuvwxyz0123456789".ToDictionary(c => c, c => c.ToString());

    /// <summary>Characters read differently as a surname than in ordinary words (first character of a name).</summary>
    static readonly Dictionary<char, string> Surnames = new()
    {
        ['曾'] = "zeng", ['单'] = "shan", ['解'] = "xie", ['仇'] = "qiu", ['朴'] = "piao", ['区'] = "ou",
        ['查'] = "zha", ['盖'] = "ge", ['乐'] = "yue", ['覃'] = "qin", ['尉'] = "yu", ['缪'] = "miao",
        ['召'] = "shao", ['种'] = "chong", ['翟'] = "zhai", ['秘'] = "bi", ['柏'] = "bai", ['薄'] = "bo",
        ['卜'] = "bu", ['长'] = "chang", ['重'] = "chong", ['朝'] = "chao", ['传'] = "chuan", ['都'] = "du",
        ['繁'] = "po", ['过'] = "guo", ['华'] = "hua", ['纪'] = "ji", ['隗'] = "wei", ['牟'] = "mou",
        ['宓'] = "mi", ['沈'] = "shen", ['石'] = "shi", ['冼'] = "xian", ['洗'] = "xian", ['员'] = "yun",
        ['尹'] = "yin", ['贾'] = "jia", ['句'] = "gou", ['曲'] = "qu", ['车'] = "che", ['万'] = "wan",
        ['莘'] = "shen", ['阚'] = "kan", ['眭'] = "sui", ['訾'] = "zi", ['逄'] = "pang", ['厍'] = "she",
    };

    /// <summary>Two-character surnames, tried before the single-character table.</summary>
    static readonly (string Surname, string[] Readings)[] CompoundSurnames =
    [
        ("万俟", ["mo", "qi"]), ("尉迟", ["yu", "chi"]), ("单于", ["chan", "yu"]), ("长孙", ["zhang", "sun"]),
        ("澹台", ["tan", "tai"]), ("令狐", ["ling", "hu"]), ("欧阳", ["ou", "yang"]), ("司马", ["si", "ma"]),
        ("上官", ["shang", "guan"]), ("诸葛", ["zhu", "ge"]), ("皇甫", ["huang", "fu"]), ("宇文", ["yu", "wen"]),
        ("慕容", ["mu", "rong"]), ("东方", ["dong", "fang"]), ("公孙", ["gong", "sun"]), ("夏侯", ["xia", "hou"]),
        ("赫连", ["he", "lian"]), ("呼延", ["hu", "yan"]), ("司徒", ["si", "tu"]), ("司空", ["si", "kong"]),
    ];

    /// <summary>
    /// Polyphone words common in company names, banks and places, where the first Unihan reading is wrong.
    /// Kept short on purpose (ADR 0018): enough for the names reps type most, not a dictionary segmenter.
    /// </summary>
    static readonly Dictionary<char, (string Word, string[] Readings)[]> Words = BuildWords(
    [
        ("银行", "yin hang"), ("行业", "hang ye"), ("商行", "shang hang"), ("车行", "che hang"), ("琴行", "qin hang"),
        ("发行", "fa xing"), ("行长", "hang zhang"), ("重庆", "chong qing"), ("长沙", "chang sha"), ("长春", "chang chun"),
        ("长城", "chang cheng"), ("长江", "chang jiang"), ("长安", "chang an"), ("长治", "chang zhi"), ("长宁", "chang ning"),
        ("长虹", "chang hong"), ("长征", "chang zheng"), ("长丰", "chang feng"), ("长兴", "chang xing"), ("长乐", "chang le"),
        ("长白山", "chang bai shan"), ("厦门", "xia men"), ("蚌埠", "beng bu"), ("六安", "lu an"), ("六合", "lu he"),
        ("丽水", "li shui"), ("乐清", "yue qing"), ("乐山", "le shan"), ("音乐", "yin yue"), ("乐器", "yue qi"),
        ("乐团", "yue tuan"), ("番禺", "pan yu"), ("东莞", "dong guan"), ("莞城", "guan cheng"), ("大厦", "da sha"),
        ("广厦", "guang sha"), ("朝阳", "chao yang"), ("朝鲜", "chao xian"), ("重工", "zhong gong"), ("重型", "zhong xing"),
        ("重机", "zhong ji"), ("都市", "du shi"), ("首都", "shou du"), ("成都", "cheng du"), ("京都", "jing du"),
        ("地产", "di chan"), ("房地产", "fang di chan"), ("调味", "tiao wei"), ("空调", "kong tiao"), ("传媒", "chuan mei"),
        ("传奇", "chuan qi"), ("藏药", "zang yao"), ("西藏", "xi zang"), ("会计", "kuai ji"), ("会稽", "kuai ji"),
        ("单位", "dan wei"), ("解放", "jie fang"), ("数据", "shu ju"), ("大都会", "da du hui"), ("供应", "gong ying"),
        ("合肥", "he fei"), ("台州", "tai zhou"), ("天台", "tian tai"), ("铅山", "yan shan"), ("洪洞", "hong tong"),
        ("尉氏", "yu shi"), ("涡阳", "guo yang"), ("亳州", "bo zhou"), ("华山", "hua shan"), ("华为", "hua wei"),
        ("中华", "zhong hua"), ("华夏", "hua xia"), ("茄子", "qie zi"), ("番茄", "fan qie"), ("参数", "can shu"),
        ("人参", "ren shen"), ("长期", "chang qi"), ("长远", "chang yuan"), ("增长", "zeng zhang"), ("董事长", "dong shi zhang"),
        ("省长", "sheng zhang"), ("市长", "shi zhang"), ("校长", "xiao zhang"), ("厂长", "chang zhang"), ("成长", "cheng zhang"),
        ("薄荷", "bo he"), ("着陆", "zhuo lu"), ("属地", "shu di"), ("便宜", "pian yi"), ("率先", "shuai xian"),
    ]);

    static Dictionary<char, (string, string[])[]> BuildWords((string Word, string Readings)[] words) =>
        words.GroupBy(w => w.Word[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(w => w.Word.Length) // longest match first
                .Select(w => (w.Word, w.Readings.Split(' '))).ToArray());

    /// <summary>Single characters whose first Unihan reading is a rare or particle reading.</summary>
    static readonly (char Char, string Reading)[] Overrides = [('地', "di"), ('卜', "bu"), ('万', "wan")];

    sealed record Data(string?[] Bmp, Dictionary<int, string> Supplementary);

    static readonly Lazy<Data> Table = new(Load);

    static Data Load()
    {
        var bmp = new string?[0x10000];
        var supplementary = new Dictionary<int, string>();
        using var stream = typeof(Pinyin).Assembly.GetManifestResourceStream("Renmai.pinyin.txt")
            ?? throw new InvalidOperationException("embedded resource Renmai.pinyin.txt missing");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var space = line.IndexOf(' ');
            var syllable = string.Intern(line[..space]);
            foreach (var rune in line.AsSpan(space + 1).EnumerateRunes())
                if (rune.Value < 0x10000) bmp[rune.Value] = syllable;
                else supplementary[rune.Value] = syllable;
        }
        foreach (var (c, reading) in Overrides) bmp[c] = reading;
        return new Data(bmp, supplementary);
    }
}
