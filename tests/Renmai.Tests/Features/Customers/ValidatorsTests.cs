using Renmai.Features.Classification;
using Renmai.Features.Customers;

namespace Renmai.Tests.Features.Customers;

public sealed class ValidatorsTests
{
    [Theory]
    [InlineData("91350100M000100Y43")] // published example codes with correct check characters
    [InlineData("911101087263971521")]
    [InlineData("91110000600037341L")]
    public void Accepts_valid_unified_social_credit_codes(string code) => Assert.Null(Validators.CheckUscc(code));

    [Fact]
    public void Accepts_full_width_and_lower_case_input_of_a_valid_code()
    {
        var code = "91350100m000100y43";
        Assert.Null(Validators.CheckUscc(code));
        Assert.Equal("91350100M000100Y43", Validators.NormalizeUscc("９１３５０１００Ｍ０００１００Ｙ４３"));
    }

    [Theory]
    [InlineData("91350100M000100Y44", "校验位")]
    [InlineData("91350100M000100Y4", "18 位")]
    [InlineData("91350100M0001O0Y43", "第 14 位")] // the letter O is not in the alphabet
    [InlineData("", "18 位")]
    public void Rejects_invalid_codes_with_a_chinese_reason(string code, string reason) =>
        Assert.Contains(reason, Validators.CheckUscc(code));

    [Fact]
    public void The_check_character_generator_agrees_with_the_checker()
    {
        var rng = new Random(7);
        const string alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
        for (var i = 0; i < 500; i++)
        {
            var first17 = new string(Enumerable.Range(0, 17).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray());
            var code = first17 + Validators.UsccCheckChar(first17);
            Assert.Null(Validators.CheckUscc(code));
            var wrong = first17 + alphabet[(alphabet.IndexOf(code[17], StringComparison.Ordinal) + 1) % alphabet.Length];
            Assert.NotNull(Validators.CheckUscc(wrong));
        }
    }

    [Theory]
    [InlineData("13812345678", PhoneKind.Mobile, "13812345678")]
    [InlineData("138 1234 5678", PhoneKind.Mobile, "13812345678")]
    [InlineData("+86 138-1234-5678", PhoneKind.Mobile, "13812345678")]
    [InlineData("１３８１２３４５６７８", PhoneKind.Mobile, "13812345678")]
    [InlineData("010-88886666", PhoneKind.Landline, "01088886666")]
    [InlineData("(0755) 8888 6666", PhoneKind.Landline, "075588886666")]
    [InlineData("+1 650-253-0000", PhoneKind.Other, "+16502530000")]
    public void Normalises_valid_phone_numbers(string input, PhoneKind kind, string expected)
    {
        var (normalized, error) = Validators.CheckPhone(input, kind);
        Assert.Null(error);
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("1381234", PhoneKind.Mobile)]
    [InlineData("12345678901", PhoneKind.Mobile)]
    [InlineData("abc", PhoneKind.Mobile)]
    [InlineData("010-88886666", PhoneKind.Mobile)]
    [InlineData("13812345678", PhoneKind.Landline)]
    public void Rejects_invalid_or_mismatched_phone_numbers(string input, PhoneKind kind)
    {
        var (normalized, error) = Validators.CheckPhone(input, kind);
        Assert.Null(normalized);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData("zhangwei@163.com", true)]
    [InlineData("sales@huaxia-tech.com.cn", true)]
    [InlineData("not-an-email", false)]
    [InlineData("a@b", false)]
    [InlineData("张伟 <zw@qq.com>", false)]
    public void Checks_email_addresses(string email, bool valid) => Assert.Equal(valid, Validators.CheckEmail(email) is null);

    [Fact]
    public void Displays_phones_the_way_people_write_them()
    {
        Assert.Equal("138 1234 5678", Validators.DisplayPhone("13812345678"));
        Assert.Equal("010-88886666", Validators.DisplayPhone("01088886666"));
        Assert.Equal("0755-88886666", Validators.DisplayPhone("075588886666"));
    }

    [Fact]
    public void Customer_numbers_format_and_parse()
    {
        Assert.Equal("KH000123", CustomerNumbers.Format(123));
        Assert.Equal("KH1234567", CustomerNumbers.Format(1_234_567));
        Assert.True(CustomerNumbers.TryParse("kh000123", out var n));
        Assert.Equal(123, n);
        Assert.False(CustomerNumbers.TryParse("KH12a", out _));
        Assert.False(CustomerNumbers.TryParse("123", out _));
    }

    [Fact]
    public void The_combined_label_reads_industry_value_and_stage()
    {
        Assert.Equal("制造业-高价值-成交客户", CustomerLabels.Combined("制造业", Level.High, LifecycleStage.Repeat, CustomerType.Existing));
        Assert.Equal("潜在客户", CustomerLabels.Combined(null, null, LifecycleStage.Potential, CustomerType.Potential));
        Assert.Equal("信息技术-低价值-流失客户", CustomerLabels.Combined("信息技术", Level.Low, LifecycleStage.Lost, CustomerType.Existing));
    }

    [Fact]
    public void Tags_are_stored_delimited_trimmed_and_unique()
    {
        Assert.Equal("|VIP|展会|", Customer.FormatTags([" VIP ", "展会", "VIP", "", "|"]));
        Assert.Equal("", Customer.FormatTags([]));
        var c = new Customer { TagsText = "|a|b|" };
        Assert.Equal(["a", "b"], c.Tags);
    }

    [Fact]
    public void Mobile_shortcut_agrees_with_libphonenumber_for_every_prefix()
    {
        // Every 4-digit prefix 1000–1999 with a few endings, for each phone kind: the shortcut either declines
        // (null) or gives exactly libphonenumber's answer.
        var random = new Random(20261123);
        var shortcuts = 0;
        for (var prefix = 1000; prefix <= 1999; prefix++)
        {
            for (var k = 0; k < 5; k++)
            {
                var number = prefix.ToString(System.Globalization.CultureInfo.InvariantCulture) + random.Next(0, 10_000_000).ToString("D7", System.Globalization.CultureInfo.InvariantCulture);
                foreach (var kind in Enum.GetValues<PhoneKind>())
                {
                    var slow = Validators.CheckPhoneSlow(number, number, kind);
                    Assert.Equal(slow, Validators.CheckPhone(number, kind));
                    if (Validators.FastMobile(number) is not null) shortcuts++;
                }
            }
        }
        // The shortcut really takes the common case (13x/15x/18x… are mobiles).
        Assert.True(shortcuts > 1000, $"shortcut taken {shortcuts} times");
        Assert.Equal("13812345678", Validators.FastMobile("13812345678"));
        Assert.Null(Validators.FastMobile("1381234567"));
    }
}
