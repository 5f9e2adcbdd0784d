using Renmai.Features.Customers;

namespace Renmai.Tests.Support;

/// <summary>Chinese sample data that passes validation.</summary>
public static class Samples
{
    /// <summary>A 统一社会信用代码 with a correct check character, derived from 17 given characters.</summary>
    public static string Uscc(string first17 = "91110108MA01ABCD1") => first17 + Validators.UsccCheckChar(first17);

    public static object Company(string name = "北京华夏科技有限公司", string industry = "制造业", string? uscc = null) => new
    {
        kind = "company",
        name,
        uscc = uscc ?? Uscc(),
        phones = new[] { new { kind = "mobile", number = "13812345678" }, new { kind = "landline", number = "010-88886666" } },
        email = "contact@huaxia-tech.cn",
        socialAccounts = new[] { new { kind = "weChat", account = "huaxia_keji" } },
        province = "北京市",
        city = "北京市",
        district = "海淀区",
        street = "中关村大街 27 号",
        industry,
        staffCount = 320,
        annualRevenueFen = 5_000_000_000L,
        mainBusiness = "工业自动化设备",
        type = "potential",
        leadSource = "exhibition",
        intent = "A",
        stage = "intention",
        potential = "high",
        region = "华北",
        tags = new[] { "展会", "重点跟进" },
        creditLimitFen = 50_000_000L,
        riskLevel = "none",
        notes = "2026 年工博会现场交换名片",
    };

    public static object Person(string name = "张伟") => new
    {
        kind = "individual",
        name,
        gender = "male",
        birthDate = "1985-06-18",
        birthCalendar = "lunar",
        phones = new[] { new { kind = "mobile", number = "13900001111" } },
        email = "zhangwei@163.com",
        province = "广东省",
        city = "深圳市",
        district = "南山区",
        type = "existing",
        stage = "repeat",
        intent = "B",
        valueTier = "mid",
        region = "华南",
        interests = "高尔夫、茶道",
        anniversaries = new[] { new { name = "结婚纪念日", date = "2012-10-01", calendar = "solar" } },
    };
}
