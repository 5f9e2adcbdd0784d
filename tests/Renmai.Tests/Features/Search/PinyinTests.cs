using Renmai.Features.Search;

namespace Renmai.Tests.Features.Search;

/// <summary>Pinyin from the embedded Unihan table, the polyphone word table and the surname readings.</summary>
public class PinyinTests
{
    [Theory]
    [InlineData("张伟", "zhangwei", "zw")]
    [InlineData("北京华夏科技", "beijinghuaxiakeji", "bjhxkj")]
    [InlineData("吕", "lv", "l")]
    [InlineData("女装", "nvzhuang", "nz")]
    [InlineData("ABC科技 有限公司", "abckejiyouxiangongsi", "abckjyxgs")]
    [InlineData("３６０安全", "360anquan", "360aq")]
    [InlineData("张-伟 (经理)", "zhangweijingli", "zwjl")]
    [InlineData("", "", "")]
    [InlineData("!!", "", "")]
    public void Full_and_initials(string text, string full, string initials)
    {
        Assert.Equal(full, Pinyin.Full(text));
        Assert.Equal(initials, Pinyin.Initials(text));
    }

    [Theory]
    [InlineData("中国工商银行", "zhongguogongshangyinhang")]
    [InlineData("重庆长安汽车", "chongqingchanganqiche")]
    [InlineData("长沙市", "changshashi")]
    [InlineData("厦门航空", "xiamenhangkong")]
    [InlineData("蚌埠玻璃", "bengbuboli")]
    [InlineData("六安茶业", "luanchaye")]
    [InlineData("万科地产", "wankedichan")]
    [InlineData("成都大厦", "chengdudasha")]
    public void Polyphone_words_in_company_and_place_names(string text, string full) =>
        Assert.Equal(full, Pinyin.Full(text));

    [Theory]
    [InlineData("曾伟", "zengwei", "zw")]
    [InlineData("单雄信", "shanxiongxin", "sxx")]
    [InlineData("解缙", "xiejin", "xj")]
    [InlineData("仇英", "qiuying", "qy")]
    [InlineData("朴明", "piaoming", "pm")]
    [InlineData("区丽", "ouli", "ol")]
    [InlineData("查理", "zhali", "zl")]
    [InlineData("盖伟", "gewei", "gw")]
    [InlineData("乐芳", "yuefang", "yf")]
    [InlineData("覃军", "qinjun", "qj")]
    [InlineData("尉强", "yuqiang", "yq")]
    [InlineData("缪静", "miaojing", "mj")]
    [InlineData("召敏", "shaomin", "sm")]
    [InlineData("种平", "chongping", "cp")]
    [InlineData("翟杰", "zhaijie", "zj")]
    [InlineData("秘书", "bishu", "bs")]
    [InlineData("万俟卨", "moqixie", "mqx")]
    [InlineData("尉迟恭", "yuchigong", "ycg")]
    [InlineData("欧阳娜", "ouyangna", "oyn")]
    public void Person_names_read_the_surname(string name, string full, string initials)
    {
        Assert.Equal(full, Pinyin.NameFull(name));
        Assert.Equal(initials, Pinyin.NameInitials(name));
    }

    [Fact]
    public void Surname_readings_apply_only_to_the_first_character()
    {
        Assert.Equal("zengceng", Pinyin.NameFull("曾曾"));
        Assert.Equal("cengjing", Pinyin.Full("曾经")); // not a name: ordinary reading
    }

    [Fact]
    public void Every_common_character_has_a_reading()
    {
        // The 3,500 most used characters all fall in the URO block; spot-check a spread of them.
        foreach (var c in "的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事其里所去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此心前面又定见只主没公从")
            Assert.NotNull(Pinyin.Reading(c));
        Assert.True(Pinyin.HasHan("abc张"));
        Assert.False(Pinyin.HasHan("abc123"));
    }

    [Fact]
    public void Syllables_one_per_character()
    {
        Assert.Equal(["zhang", "w", "e", "i"], Pinyin.Syllables("张wei"));
        Assert.Equal(["shan", "tian", "fang"], Pinyin.Syllables("单田芳", personName: true));
    }
}
