using System.Globalization;
using System.Text;
using Renmai.Data;
using Renmai.Features.Classification;
using Renmai.Features.Contacts;

namespace Renmai.Features.Customers;

/// <summary>
/// Realistic Chinese customers, deterministic for a seed and a day: names from common surnames,
/// companies named {城市}{字号}{行业词}有限公司, real provinces/cities/districts with their area and
/// division codes, valid mobiles and landlines, valid 统一社会信用代码, and classification with
/// plausible distributions. Customers come out in creation order (ids and numbers ascending).
/// </summary>
public sealed class DemoGenerator
{
    public const string Author = "演示数据";

    private readonly Random _rng;
    private readonly IReadOnlyList<Guid> _owners;
    private readonly DateTime _end;
    private readonly DateTime _start;
    private readonly StringBuilder _sb = new(64);

    /// <param name="now">Dates are spread over the three years before this day (UTC midnight, so a day's runs repeat).</param>
    public DemoGenerator(int seed, IReadOnlyList<Guid> owners, DateTime now)
    {
        _rng = new Random(seed);
        _owners = owners;
        _end = new DateTime(now.Year, now.Month, now.Day, 0, 0, 0, DateTimeKind.Utc);
        _start = _end.AddYears(-3);
    }

    /// <summary>Customers numbered from <paramref name="firstNumber"/>, each with its contacts (companies: 1–3).</summary>
    public IEnumerable<(Customer Customer, List<Contact> Contacts)> Generate(long firstNumber, int count)
    {
        var span = (_end - _start).Ticks;
        for (var i = 0; i < count; i++)
        {
            // Ascending creation times with jitter inside each slot.
            var created = _start.AddTicks((long)(span * ((i + _rng.NextDouble()) / count)));
            created = new DateTime(created.Ticks - created.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
            var customer = _rng.NextDouble() < 0.6 ? Company(created) : Person(created);
            customer.Number = CustomerNumbers.Format(firstNumber + i);
            var contacts = customer.Kind == CustomerKind.Company ? Contacts(customer) : [];
            yield return (customer, contacts);
        }
    }

    // ---- Customers ----------------------------------------------------------------------------

    private Customer Person(DateTime created)
    {
        var gender = Chance(0.03) ? Gender.Unknown : Chance(0.5) ? Gender.Male : Gender.Female;
        var (name, pinyin) = PersonName(gender);
        var place = Place();
        var c = NewCustomer(created, CustomerKind.Individual, name, place);
        c.Gender = gender;
        var age = _rng.Next(22, 66);
        if (Chance(0.85))
        {
            c.BirthDate = DateOnly.FromDateTime(_end).AddYears(-age).AddDays(-_rng.Next(0, 365));
            c.BirthCalendar = Chance(0.15) ? CalendarKind.Lunar : CalendarKind.Solar;
        }
        else if (Chance(0.5)) c.Age = age;
        c.Title = Chance(0.5) ? Pick(PersonTitles) : null;
        c.DecisionRole = Chance(0.7) ? DecisionRole.KeyDecisionMaker : DecisionRole.None;
        if (Chance(0.4)) c.Interests = Chance(0.5) ? Pick(Interests) : Pick(Interests) + "、" + Pick(Interests);
        if (Chance(0.1))
            c.Anniversaries.Add(new Anniversary { Name = Pick(AnniversaryNames), Date = DateOnly.FromDateTime(created).AddDays(-_rng.Next(0, 3650)), Calendar = CalendarKind.Solar });
        c.Phones.Add(new PhoneEntry { Kind = PhoneKind.Mobile, Number = Mobile() });
        if (Chance(0.15)) c.Phones.Add(new PhoneEntry { Kind = PhoneKind.Mobile, Number = Mobile(), Note = "备用" });
        if (Chance(0.1)) c.Phones.Add(new PhoneEntry { Kind = PhoneKind.Landline, Number = Landline(place.City), Note = "家庭" });
        if (Chance(0.5)) c.Email = PersonalEmail(pinyin);
        if (Chance(0.6)) c.SocialAccounts.Add(new SocialAccount { Kind = SocialKind.WeChat, Account = Chance(0.5) ? "wxid_" + Latin(10) : pinyin + Digits(_rng.Next(2, 5)) });
        if (Chance(0.2)) c.SocialAccounts.Add(new SocialAccount { Kind = SocialKind.QQ, Account = QqNumber() });
        if (Chance(0.05)) c.SocialAccounts.Add(new SocialAccount { Kind = SocialKind.Weibo, Account = "@" + pinyin + Digits(3) });
        if (Chance(0.2)) c.Industry = PickWeighted(Industries, x => x.Weight).Name;
        if (c.Type == CustomerType.Existing && Chance(0.3)) c.CreditLimitFen = _rng.Next(5, 51) * 1_000L * 100;
        // Most people in a contacts sheet come with the company they work at, usually in their own city.
        if (Chance(0.6)) c.Company = CompanyName(PickWeighted(Industries, x => x.Weight), Chance(0.8) ? place : Place()).Name;
        return c;
    }

    private (string Name, string BrandPinyin) CompanyName(Industry industry, PlaceChoice place)
    {
        var (brand, brandPinyin) = Brand();
        var prefix = place.City.Municipality ? place.City.Short : place.City.Short + (Chance(0.5) ? "市" : "");
        var suffix = _rng.NextDouble() switch { < 0.7 => "有限公司", < 0.85 => "股份有限公司", _ => "有限责任公司" };
        return (prefix + brand + Pick(industry.Words) + suffix, brandPinyin);
    }

    private Customer Company(DateTime created)
    {
        var industry = PickWeighted(Industries, x => x.Weight);
        var place = Place();
        var (name, brandPinyin) = CompanyName(industry, place);
        var c = NewCustomer(created, CustomerKind.Company, name, place);
        c.Industry = industry.Name;
        var size = _rng.NextDouble();
        c.StaffCount = size switch { < 0.4 => _rng.Next(3, 20), < 0.75 => _rng.Next(20, 100), < 0.93 => _rng.Next(100, 500), _ => _rng.Next(500, 5000) };
        c.AnnualRevenueFen = c.StaffCount * (long)_rng.Next(20, 120) * 10_000 * 100;
        c.MainBusiness = Pick(industry.Business);
        if (Chance(0.6)) c.MarketPosition = Pick(MarketPositions);
        if (Chance(0.95)) c.Uscc = Uscc(place.District.Code);
        if (Chance(0.6)) c.RegisteredAddress = place.Province.Name + place.City.Name + place.District.Name + Street();
        var domain = brandPinyin + Pick(DomainWords) + Pick([".com", ".com.cn", ".cn"]);
        if (Chance(0.85)) c.Phones.Add(new PhoneEntry { Kind = PhoneKind.Landline, Number = Landline(place.City), Note = "总机" });
        if (Chance(0.1)) c.Phones.Add(new PhoneEntry { Kind = PhoneKind.Fax, Number = Landline(place.City), Note = "传真" });
        if (c.Phones.Count == 0 || Chance(0.4)) c.Phones.Add(new PhoneEntry { Kind = PhoneKind.Mobile, Number = Mobile(), Note = "业务" });
        if (Chance(0.7)) c.Email = Pick(CompanyMailboxes) + "@" + domain;
        if (Chance(0.15)) c.SocialAccounts.Add(new SocialAccount { Kind = SocialKind.WeChat, Account = brandPinyin + Pick(DomainWords) });
        if (Chance(0.1)) c.SocialAccounts.Add(new SocialAccount { Kind = SocialKind.DingTalk, Account = brandPinyin + Digits(4) });
        if (Chance(0.3)) c.DecisionProcess = Pick(DecisionProcesses);
        if (Chance(0.05))
            c.Anniversaries.Add(new Anniversary { Name = "首次合作日", Date = DateOnly.FromDateTime(created), Calendar = CalendarKind.Solar });
        if (c.Type != CustomerType.Potential && Chance(0.7))
        {
            var wan = c.ValueTier switch { Level.High => _rng.Next(50, 501), Level.Mid => _rng.Next(5, 51), _ => _rng.Next(1, 6) };
            c.CreditLimitFen = wan * 10_000L * 100;
            if (Chance(0.3)) c.CreditNotes = Pick(CreditNotes);
        }
        return c;
    }

    /// <summary>The fields both kinds share: stamps, owner, address, classification, needs, tags.</summary>
    private Customer NewCustomer(DateTime created, CustomerKind kind, string name, PlaceChoice place)
    {
        var updated = Chance(0.25) ? created : created.AddTicks((long)((_end - created).Ticks * Math.Sqrt(_rng.NextDouble())));
        updated = new DateTime(updated.Ticks - updated.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
        var c = new Customer
        {
            Id = NewId(created), Kind = kind, Name = name,
            CreatedAt = created, CreatedBy = Author, UpdatedAt = updated, UpdatedBy = Author, UpdatedVia = ChangeSource.System, Version = 1,
            Province = place.Province.Name, City = place.City.Name, District = place.District.Name, Street = Street(),
            Region = place.Province.Region,
        };
        Classify(c);
        c.GiveTo(_owners.Count == 0 || Chance(c.Type == CustomerType.Potential ? 0.35 : 0.1) ? null : _owners[_rng.Next(_owners.Count)], created);
        if (c.OwnerId is not null && Chance(0.8))
        {
            var followUp = updated.AddDays(-_rng.Next(0, 60));
            c.LastFollowUpAt = followUp < created ? created : followUp;
        }
        c.Urgency = _rng.NextDouble() switch { < 0.25 => Urgency.Low, < 0.75 => Urgency.Normal, < 0.95 => Urgency.High, _ => Urgency.Urgent };
        if (Chance(0.5)) c.ProductsOfInterest = Chance(0.6) ? Pick(Products) : Pick(Products) + "、" + Pick(Products);
        if (c.Stage is LifecycleStage.Potential or LifecycleStage.Intention && Chance(0.4))
        {
            var min = _rng.Next(1, 51) * 10_000L;
            c.BudgetMinFen = min * 100;
            c.BudgetMaxFen = (long)(min * (1.5 + _rng.NextDouble() * 1.5)) / 1000 * 1000 * 100;
        }
        c.RiskLevel = _rng.NextDouble() switch { < 0.85 => RiskLevel.None, < 0.97 => RiskLevel.Potential, _ => RiskLevel.High };
        c.Tags = Tags(c);
        if (Chance(0.15)) c.Notes = Pick(Notes);
        return c;
    }

    private void Classify(Customer c)
    {
        var t = _rng.NextDouble();
        c.Type = t < 0.5 ? CustomerType.Potential : t < 0.9 ? CustomerType.Existing : CustomerType.Partner;
        var s = _rng.NextDouble();
        c.Stage = c.Type switch
        {
            CustomerType.Potential => s < 0.55 ? LifecycleStage.Potential : s < 0.9 ? LifecycleStage.Intention : LifecycleStage.Lost,
            CustomerType.Existing => s < 0.3 ? LifecycleStage.FirstPurchase : s < 0.7 ? LifecycleStage.Repeat : s < 0.9 ? LifecycleStage.Loyal : LifecycleStage.Lost,
            _ => s < 0.5 ? LifecycleStage.Repeat : s < 0.9 ? LifecycleStage.Loyal : LifecycleStage.Intention,
        };
        var i = _rng.NextDouble();
        c.Intent = c.Stage switch
        {
            LifecycleStage.Intention => i < 0.2 ? IntentGrade.A : i < 0.55 ? IntentGrade.B : i < 0.85 ? IntentGrade.C : i < 0.95 ? IntentGrade.D : IntentGrade.E,
            LifecycleStage.Potential => i < 0.03 ? IntentGrade.A : i < 0.13 ? IntentGrade.B : i < 0.43 ? IntentGrade.C : i < 0.73 ? IntentGrade.D : IntentGrade.E,
            LifecycleStage.Lost => i < 0.5 ? null : i < 0.8 ? IntentGrade.D : IntentGrade.E,
            _ => c.Type == CustomerType.Partner || i < 0.5 ? null : i < 0.7 ? IntentGrade.A : i < 0.9 ? IntentGrade.B : IntentGrade.C,
        };
        if (c.Type == CustomerType.Partner)
        {
            var f = _rng.NextDouble();
            c.PartnerField = f < 0.4 ? PartnerField.Supplier : f < 0.75 ? PartnerField.Distributor : f < 0.95 ? PartnerField.Agent : PartnerField.Other;
        }
        if (c.Type == CustomerType.Potential || Chance(0.8))
        {
            var l = _rng.NextDouble();
            c.LeadSource = l < 0.25 ? LeadSource.Online : l < 0.35 ? LeadSource.Offline : l < 0.5 ? LeadSource.Exhibition
                : l < 0.65 ? LeadSource.Inbound : l < 0.85 ? LeadSource.Referral : l < 0.97 ? LeadSource.Ads : LeadSource.Other;
        }
        if (c.Type != CustomerType.Potential)
        {
            var v = _rng.NextDouble();
            c.ValueTier = c.Stage == LifecycleStage.Loyal
                ? v < 0.35 ? Level.High : v < 0.8 ? Level.Mid : Level.Low
                : v < 0.12 ? Level.High : v < 0.45 ? Level.Mid : Level.Low;
        }
        var p = _rng.NextDouble();
        c.Potential = c.Stage == LifecycleStage.Lost ? (p < 0.8 ? Level.Low : Level.Mid) : p < 0.2 ? Level.High : p < 0.65 ? Level.Mid : Level.Low;
    }

    private List<string> Tags(Customer c)
    {
        var tags = new List<string>(3);
        if (c.ValueTier == Level.High && Chance(0.6)) tags.Add("VIP");
        if (c.Stage is LifecycleStage.Repeat or LifecycleStage.Loyal && Chance(0.4)) tags.Add("老客户");
        if (c.LeadSource == LeadSource.Exhibition && Chance(0.7)) tags.Add("展会");
        if (c.LeadSource == LeadSource.Referral && Chance(0.5)) tags.Add("转介绍");
        var extra = _rng.NextDouble() switch { < 0.45 => 0, < 0.8 => 1, < 0.95 => 2, _ => 3 };
        for (var k = 0; k < extra; k++)
        {
            var t = Pick(TagPool);
            if (!tags.Contains(t)) tags.Add(t);
        }
        return tags;
    }

    private List<Contact> Contacts(Customer company)
    {
        var n = _rng.NextDouble() switch { < 0.4 => 1, < 0.75 => 2, _ => 3 };
        var list = new List<Contact>(n);
        var domain = company.Email is { } e ? e[(e.IndexOf('@', StringComparison.Ordinal) + 1)..] : null;
        var roles = ContactRoles.OrderBy(_ => _rng.Next()).Take(n).ToList();
        for (var k = 0; k < n; k++)
        {
            var gender = Chance(0.55) ? Gender.Male : Gender.Female;
            var (name, pinyin) = PersonName(gender);
            var role = roles[k];
            var created = company.CreatedAt.AddMinutes(k * _rng.Next(1, 30));
            var contact = new Contact
            {
                Id = NewId(created), CustomerId = company.Id, Name = name, Gender = gender, Title = role.Title,
                Department = role.Department, Role = role.Role, IsPrimary = k == 0,
                CreatedAt = created, CreatedBy = Author, UpdatedAt = company.UpdatedAt < created ? created : company.UpdatedAt,
                UpdatedBy = Author, UpdatedVia = ChangeSource.System, Version = 1,
            };
            contact.Phones.Add(new PhoneEntry { Kind = PhoneKind.Mobile, Number = Mobile() });
            if (Chance(0.2) && company.City is not null && CityByName.TryGetValue(company.City, out var city))
                contact.Phones.Add(new PhoneEntry { Kind = PhoneKind.Landline, Number = Landline(city), Note = "办公室" });
            if (Chance(0.5)) contact.Email = domain is not null && Chance(0.7) ? pinyin + "@" + domain : PersonalEmail(pinyin);
            if (Chance(0.4)) contact.WeChat = Chance(0.5) ? "wxid_" + Latin(10) : pinyin + Digits(_rng.Next(2, 5));
            if (Chance(0.2)) contact.BirthDate = DateOnly.FromDateTime(_end).AddYears(-_rng.Next(25, 60)).AddDays(-_rng.Next(0, 365));
            if (Chance(0.1)) contact.Notes = Pick(ContactNotes);
            list.Add(contact);
        }
        return list;
    }

    // ---- Building blocks ----------------------------------------------------------------------

    private bool Chance(double p) => _rng.NextDouble() < p;

    private T Pick<T>(IReadOnlyList<T> items) => items[_rng.Next(items.Count)];

    private T PickWeighted<T>(IReadOnlyList<T> items, Func<T, int> weight)
    {
        var total = 0;
        foreach (var x in items) total += weight(x);
        var r = _rng.Next(total);
        foreach (var x in items)
        {
            r -= weight(x);
            if (r < 0) return x;
        }
        return items[^1];
    }

    /// <summary>A version-7 Guid for <paramref name="at"/> with seeded random bits (so ids repeat per seed).</summary>
    private Guid NewId(DateTime at)
    {
        Span<byte> b = stackalloc byte[16];
        var ms = new DateTimeOffset(at).ToUnixTimeMilliseconds();
        for (var k = 0; k < 6; k++) b[k] = (byte)(ms >> (8 * (5 - k)));
        _rng.NextBytes(b[6..]);
        b[6] = (byte)(0x70 | (b[6] & 0x0F));
        b[8] = (byte)(0x80 | (b[8] & 0x3F));
        return new Guid(b, bigEndian: true);
    }

    private (string Name, string Pinyin) PersonName(Gender gender)
    {
        // Frequency-skewed surname: the first entries (王李张刘陈…) come up far more often.
        var (surname, sp) = Chance(0.01) ? Pick(CompoundSurnames) : Surnames[(int)(Surnames.Length * Math.Pow(_rng.NextDouble(), 2.2))];
        var pool = gender switch { Gender.Male => MaleChars, Gender.Female => FemaleChars, _ => Chance(0.5) ? MaleChars : FemaleChars };
        var (g1, p1) = Pick(pool);
        if (Chance(0.3)) return (surname + g1, sp + p1);
        var (g2, p2) = Pick(pool);
        return (surname + g1 + g2, sp + p1 + p2);
    }

    private (string Brand, string Pinyin) Brand()
    {
        var a = Pick(BrandChars);
        var b = Pick(BrandChars);
        while (b.Char == a.Char) b = Pick(BrandChars);
        return (a.Char + b.Char, a.Pinyin + b.Pinyin);
    }

    private sealed record PlaceChoice(Province Province, City City, District District);

    private PlaceChoice Place()
    {
        var city = PickWeighted(AllCities, c => c.Weight);
        return new PlaceChoice(city.Province, city, Pick(city.Districts));
    }

    private string Street()
    {
        _sb.Clear().Append(Pick(Roads)).Append(Pick(RoadKinds)).Append(_rng.Next(1, 999).ToString(CultureInfo.InvariantCulture)).Append('号');
        var r = _rng.NextDouble();
        if (r < 0.3) _sb.Append(Pick(Buildings)).Append(_rng.Next(2, 32).ToString(CultureInfo.InvariantCulture)).Append('层');
        else if (r < 0.5) _sb.Append(_rng.Next(1, 20).ToString(CultureInfo.InvariantCulture)).Append('栋').Append(_rng.Next(1, 30).ToString(CultureInfo.InvariantCulture)).Append(_rng.Next(1, 20).ToString("D2", CultureInfo.InvariantCulture)).Append('室');
        return _sb.ToString();
    }

    /// <summary>An 11-digit mobile number with a prefix libphonenumber accepts as Chinese mobile.</summary>
    public string Mobile() => Pick(MobilePrefixes) + Digits(8);

    /// <summary>A landline with the city's real area code (trunk 0 included), e.g. 075526881234.</summary>
    // Local numbers start with 2–6: some 8xx blocks (e.g. 800) are not subscriber numbers and fail validation.
    private string Landline(City city) =>
        city.AreaCode + (char)('2' + _rng.Next(5)) + Digits(city.LocalDigits - 1);

    private string PersonalEmail(string pinyin)
    {
        var r = _rng.NextDouble();
        if (r < 0.25) return QqNumber() + "@qq.com";
        var local = r < 0.6 ? pinyin + Digits(_rng.Next(2, 5)) : r < 0.8 ? pinyin : Latin(_rng.Next(6, 11));
        return local + "@" + Pick(MailDomains);
    }

    private string QqNumber() => (char)('1' + _rng.Next(9)) + Digits(_rng.Next(5, 10));

    private string Digits(int n)
    {
        Span<char> s = stackalloc char[n];
        for (var k = 0; k < n; k++) s[k] = (char)('0' + _rng.Next(10));
        return new string(s);
    }

    private string Latin(int n)
    {
        Span<char> s = stackalloc char[n];
        for (var k = 0; k < n; k++) s[k] = "abcdefghijkmnpqrstuvwxyz23456789"[_rng.Next(32)];
        return new string(s);
    }

    /// <summary>
    /// 统一社会信用代码: 9 (registered with market regulation) 1 (enterprise), the 6-digit division code
    /// of the district, a 9-character organisation code (GB 11714 check digit), and the GB 32100 check character.
    /// </summary>
    private string Uscc(string divisionCode)
    {
        Span<char> org = stackalloc char[9];
        var sum = 0;
        for (var k = 0; k < 8; k++)
        {
            org[k] = (char)('0' + _rng.Next(10));
            sum += (org[k] - '0') * OrgWeights[k];
        }
        var check = 11 - sum % 11;
        org[8] = check == 10 ? 'X' : check == 11 ? '0' : (char)('0' + check);
        var first17 = "91" + divisionCode + new string(org[..8]) + org[8];
        return first17 + Validators.UsccCheckChar(first17);
    }

    private static readonly int[] OrgWeights = [3, 7, 9, 10, 5, 8, 4, 2];

    // ---- Tables -------------------------------------------------------------------------------

    private sealed record Province(string Name, string Region);

    private sealed record District(string Name, string Code);

    private sealed record City(Province Province, string Name, string Short, bool Municipality, string AreaCode, int LocalDigits, int Weight, District[] Districts);

    private sealed record Industry(string Name, int Weight, string[] Words, string[] Business);

    private sealed record ContactRole(string Title, string Department, DecisionRole Role);

    private static City C(Province p, string name, string areaCode, int weight, params string[] districts) =>
        new(p, name, name.TrimEnd('市'), p.Name == name, areaCode, SevenDigitAreas.Contains(areaCode) ? 7 : 8, weight,
            [.. districts.Select(d => d.Split(':')).Select(d => new District(d[0], d[1]))]);

    /// <summary>Area codes whose local numbers still have 7 digits (the rest have 8).</summary>
    private static readonly HashSet<string> SevenDigitAreas = ["0592", "0771", "0931", "0991"];

    private static readonly City[] AllCities = BuildCities();

    private static readonly Dictionary<string, City> CityByName = AllCities.ToDictionary(c => c.Name, StringComparer.Ordinal);

    private static City[] BuildCities()
    {
        Province P(string name, string region) => new(name, region);
        var bj = P("北京市", "华北"); var tj = P("天津市", "华北"); var he = P("河北省", "华北");
        var sh = P("上海市", "华东"); var js = P("江苏省", "华东"); var zj = P("浙江省", "华东"); var ah = P("安徽省", "华东");
        var fj = P("福建省", "华东"); var jx = P("江西省", "华东"); var sd = P("山东省", "华东");
        var gd = P("广东省", "华南"); var gx = P("广西壮族自治区", "华南");
        var ha = P("河南省", "华中"); var hb = P("湖北省", "华中"); var hn = P("湖南省", "华中");
        var cq = P("重庆市", "西南"); var sc = P("四川省", "西南"); var yn = P("云南省", "西南");
        var sn = P("陕西省", "西北"); var gs = P("甘肃省", "西北"); var xj = P("新疆维吾尔自治区", "西北");
        var ln = P("辽宁省", "东北"); var jl = P("吉林省", "东北"); var hl = P("黑龙江省", "东北");
        return
        [
            C(bj, "北京市", "010", 90, "朝阳区:110105", "海淀区:110108", "东城区:110101", "西城区:110102", "丰台区:110106", "通州区:110112"),
            C(sh, "上海市", "021", 90, "浦东新区:310115", "黄浦区:310101", "徐汇区:310104", "静安区:310106", "闵行区:310112", "嘉定区:310114"),
            C(tj, "天津市", "022", 25, "和平区:120101", "南开区:120104", "滨海新区:120116"),
            C(cq, "重庆市", "023", 30, "渝中区:500103", "江北区:500105", "渝北区:500112", "九龙坡区:500107"),
            C(gd, "广州市", "020", 60, "天河区:440106", "越秀区:440104", "海珠区:440105", "番禺区:440113", "白云区:440111"),
            C(gd, "深圳市", "0755", 70, "南山区:440305", "福田区:440304", "宝安区:440306", "龙岗区:440307", "龙华区:440309"),
            C(gd, "东莞市", "0769", 30, "莞城街道:441900", "南城街道:441900", "长安镇:441900", "虎门镇:441900", "松山湖:441900"),
            C(gd, "佛山市", "0757", 25, "禅城区:440604", "南海区:440605", "顺德区:440606"),
            C(zj, "杭州市", "0571", 50, "西湖区:330106", "上城区:330102", "拱墅区:330105", "滨江区:330108", "余杭区:330110"),
            C(zj, "宁波市", "0574", 25, "海曙区:330203", "鄞州区:330212", "北仑区:330206"),
            C(zj, "温州市", "0577", 15, "鹿城区:330302", "瓯海区:330304", "龙湾区:330303"),
            C(js, "南京市", "025", 40, "玄武区:320102", "秦淮区:320104", "鼓楼区:320106", "江宁区:320115"),
            C(js, "苏州市", "0512", 45, "姑苏区:320508", "吴中区:320506", "虎丘区:320505", "相城区:320507", "吴江区:320509"),
            C(js, "无锡市", "0510", 20, "梁溪区:320213", "滨湖区:320211", "新吴区:320214"),
            C(sd, "济南市", "0531", 20, "历下区:370102", "市中区:370103", "槐荫区:370104", "历城区:370112"),
            C(sd, "青岛市", "0532", 25, "市南区:370202", "市北区:370203", "黄岛区:370211", "崂山区:370212"),
            C(fj, "福州市", "0591", 15, "鼓楼区:350102", "台江区:350103", "仓山区:350104"),
            C(fj, "厦门市", "0592", 15, "思明区:350203", "湖里区:350206", "集美区:350211"),
            C(ah, "合肥市", "0551", 20, "蜀山区:340104", "包河区:340111", "庐阳区:340103"),
            C(jx, "南昌市", "0791", 12, "东湖区:360102", "西湖区:360103", "红谷滩区:360113"),
            C(he, "石家庄市", "0311", 12, "长安区:130102", "桥西区:130104", "裕华区:130108"),
            C(ha, "郑州市", "0371", 25, "金水区:410105", "中原区:410102", "二七区:410103", "管城回族区:410104"),
            C(hb, "武汉市", "027", 35, "江汉区:420103", "武昌区:420106", "洪山区:420111", "江岸区:420102"),
            C(hn, "长沙市", "0731", 25, "岳麓区:430104", "芙蓉区:430102", "天心区:430103", "雨花区:430111"),
            C(sc, "成都市", "028", 45, "锦江区:510104", "武侯区:510107", "青羊区:510105", "成华区:510108", "金牛区:510106"),
            C(yn, "昆明市", "0871", 12, "五华区:530102", "盘龙区:530103", "官渡区:530111"),
            C(gx, "南宁市", "0771", 10, "青秀区:450103", "兴宁区:450102", "西乡塘区:450107"),
            C(sn, "西安市", "029", 30, "雁塔区:610113", "碑林区:610103", "未央区:610112", "新城区:610102"),
            C(gs, "兰州市", "0931", 6, "城关区:620102", "七里河区:620103"),
            C(xj, "乌鲁木齐市", "0991", 6, "天山区:650102", "沙依巴克区:650103"),
            C(ln, "沈阳市", "024", 18, "和平区:210102", "沈河区:210103", "皇姑区:210105", "铁西区:210106"),
            C(ln, "大连市", "0411", 15, "中山区:210202", "西岗区:210203", "甘井子区:210211"),
            C(jl, "长春市", "0431", 10, "朝阳区:220104", "南关区:220102", "宽城区:220103"),
            C(hl, "哈尔滨市", "0451", 12, "南岗区:230103", "道里区:230102", "香坊区:230110"),
        ];
    }

    private static readonly Industry[] Industries =
    [
        new("制造业", 20, ["机械制造", "电子", "精密机械", "模具", "五金制品", "塑胶制品", "纺织", "新材料", "汽车零部件"],
            ["数控机床及配件生产", "电子元器件研发与制造", "五金模具加工", "注塑件生产", "纺织品生产与出口", "汽车零部件制造"]),
        new("信息技术", 14, ["科技", "信息技术", "软件", "网络科技", "数据科技", "智能科技"],
            ["企业管理软件开发", "系统集成与运维服务", "移动应用开发", "数据分析服务", "云计算解决方案", "智能硬件研发"]),
        new("批发零售", 14, ["贸易", "商贸", "百货", "实业", "进出口"],
            ["日用百货批发", "电子产品零售", "建材批发", "食品饮料批发", "进出口贸易", "办公用品销售"]),
        new("建筑业", 8, ["建设工程", "建筑工程", "装饰工程", "建材"],
            ["房屋建筑工程施工", "室内外装饰装修", "市政工程", "钢结构工程", "建材销售"]),
        new("金融", 4, ["投资管理", "融资租赁", "资产管理", "保险代理"],
            ["股权投资管理", "设备融资租赁", "保险代理服务", "财务咨询"]),
        new("教育", 5, ["教育科技", "培训", "文化教育"],
            ["职业技能培训", "少儿英语培训", "企业内训", "在线教育平台"]),
        new("医疗健康", 6, ["医疗器械", "医药", "生物科技", "健康管理"],
            ["医疗器械销售", "药品批发", "体检与健康管理", "生物试剂研发"]),
        new("物流运输", 7, ["物流", "供应链管理", "国际货运代理", "运输"],
            ["公路货运", "仓储配送", "国际货运代理", "冷链物流", "供应链管理服务"]),
        new("餐饮酒店", 7, ["餐饮管理", "酒店管理", "食品"],
            ["连锁餐饮", "酒店经营管理", "团餐服务", "食品加工"]),
        new("房地产", 5, ["置业", "房地产开发", "物业管理"],
            ["住宅开发", "商业地产运营", "物业管理服务", "房产中介"]),
        new("农业", 4, ["农业发展", "生态农业", "农产品"],
            ["蔬菜种植与销售", "茶叶种植加工", "水果种植", "农产品收购与批发"]),
        new("文化传媒", 6, ["文化传媒", "广告", "影视传媒", "会展服务"],
            ["广告设计与发布", "影视制作", "会展策划", "新媒体运营"]),
    ];

    private static readonly (string, string)[] Surnames =
    [
        ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"),
        ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"),
        ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
        ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"), ("彭", "peng"), ("曾", "zeng"),
        ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("袁", "yuan"), ("潘", "pan"), ("于", "yu"), ("蒋", "jiang"), ("蔡", "cai"),
        ("余", "yu"), ("杜", "du"), ("叶", "ye"), ("程", "cheng"), ("苏", "su"), ("魏", "wei"), ("吕", "lv"), ("丁", "ding"),
        ("任", "ren"), ("沈", "shen"), ("姚", "yao"), ("卢", "lu"), ("姜", "jiang"), ("崔", "cui"), ("钟", "zhong"), ("谭", "tan"),
        ("陆", "lu"), ("汪", "wang"), ("范", "fan"), ("金", "jin"), ("石", "shi"), ("廖", "liao"), ("贾", "jia"), ("夏", "xia"),
        ("韦", "wei"), ("付", "fu"), ("方", "fang"), ("白", "bai"), ("邹", "zou"), ("孟", "meng"), ("熊", "xiong"), ("秦", "qin"),
        ("邱", "qiu"), ("江", "jiang"), ("尹", "yin"), ("薛", "xue"), ("闫", "yan"), ("段", "duan"), ("雷", "lei"), ("侯", "hou"),
        ("龙", "long"), ("史", "shi"), ("陶", "tao"), ("黎", "li"), ("贺", "he"), ("顾", "gu"), ("毛", "mao"), ("郝", "hao"),
        ("龚", "gong"), ("邵", "shao"), ("万", "wan"), ("钱", "qian"), ("严", "yan"), ("覃", "qin"), ("武", "wu"), ("戴", "dai"),
        ("莫", "mo"), ("孔", "kong"), ("向", "xiang"), ("汤", "tang"), ("单", "shan"), ("解", "xie"),
    ];

    private static readonly (string, string)[] CompoundSurnames =
        [("欧阳", "ouyang"), ("司马", "sima"), ("诸葛", "zhuge"), ("上官", "shangguan"), ("东方", "dongfang"), ("慕容", "murong")];

    private static readonly (string, string)[] MaleChars =
    [
        ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("勇", "yong"), ("杰", "jie"), ("涛", "tao"), ("斌", "bin"),
        ("超", "chao"), ("明", "ming"), ("刚", "gang"), ("平", "ping"), ("辉", "hui"), ("鹏", "peng"), ("华", "hua"), ("飞", "fei"),
        ("鑫", "xin"), ("波", "bo"), ("宇", "yu"), ("浩", "hao"), ("凯", "kai"), ("健", "jian"), ("俊", "jun"), ("帆", "fan"),
        ("旭", "xu"), ("宁", "ning"), ("龙", "long"), ("林", "lin"), ("阳", "yang"), ("建", "jian"), ("国", "guo"), ("志", "zhi"),
        ("文", "wen"), ("海", "hai"), ("东", "dong"), ("亮", "liang"), ("峰", "feng"), ("晨", "chen"), ("博", "bo"), ("子", "zi"),
        ("轩", "xuan"), ("睿", "rui"), ("泽", "ze"), ("宏", "hong"), ("成", "cheng"), ("永", "yong"), ("德", "de"), ("振", "zhen"),
    ];

    private static readonly (string, string)[] FemaleChars =
    [
        ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"), ("娟", "juan"), ("霞", "xia"),
        ("秀", "xiu"), ("玲", "ling"), ("燕", "yan"), ("婷", "ting"), ("雪", "xue"), ("琳", "lin"), ("颖", "ying"), ("倩", "qian"),
        ("慧", "hui"), ("欣", "xin"), ("佳", "jia"), ("怡", "yi"), ("梅", "mei"), ("莉", "li"), ("晶", "jing"), ("悦", "yue"),
        ("萍", "ping"), ("红", "hong"), ("洁", "jie"), ("琴", "qin"), ("云", "yun"), ("璐", "lu"), ("瑶", "yao"), ("蕾", "lei"),
        ("薇", "wei"), ("雯", "wen"), ("思", "si"), ("梦", "meng"), ("雨", "yu"), ("诗", "shi"), ("涵", "han"), ("可", "ke"),
        ("馨", "xin"), ("月", "yue"), ("晓", "xiao"), ("春", "chun"), ("丹", "dan"), ("琪", "qi"),
    ];

    private static readonly (string Char, string Pinyin)[] BrandChars =
    [
        ("华", "hua"), ("夏", "xia"), ("鑫", "xin"), ("源", "yuan"), ("绿", "lv"), ("洲", "zhou"), ("恒", "heng"), ("达", "da"),
        ("宏", "hong"), ("图", "tu"), ("金", "jin"), ("桥", "qiao"), ("远", "yuan"), ("航", "hang"), ("瑞", "rui"), ("丰", "feng"),
        ("天", "tian"), ("成", "cheng"), ("博", "bo"), ("中", "zhong"), ("联", "lian"), ("盛", "sheng"), ("世", "shi"), ("新", "xin"),
        ("锐", "rui"), ("永", "yong"), ("兴", "xing"), ("卓", "zhuo"), ("越", "yue"), ("汇", "hui"), ("通", "tong"), ("长", "chang"),
        ("城", "cheng"), ("东", "dong"), ("方", "fang"), ("九", "jiu"), ("州", "zhou"), ("嘉", "jia"), ("禾", "he"), ("润", "run"),
        ("泽", "ze"), ("安", "an"), ("康", "kang"), ("信", "xin"), ("诚", "cheng"), ("和", "he"), ("顺", "shun"), ("利", "li"),
        ("佳", "jia"), ("美", "mei"), ("福", "fu"), ("宝", "bao"), ("光", "guang"), ("明", "ming"), ("海", "hai"), ("蓝", "lan"),
        ("创", "chuang"), ("智", "zhi"), ("晨", "chen"), ("阳", "yang"), ("星", "xing"), ("辰", "chen"), ("云", "yun"), ("峰", "feng"),
        ("泰", "tai"), ("隆", "long"), ("昌", "chang"), ("荣", "rong"), ("富", "fu"), ("正", "zheng"), ("大", "da"), ("立", "li"),
        ("德", "de"), ("鼎", "ding"), ("力", "li"), ("科", "ke"), ("环", "huan"), ("球", "qiu"), ("亚", "ya"), ("太", "tai"),
        ("万", "wan"), ("家", "jia"), ("百", "bai"), ("川", "chuan"), ("凯", "kai"), ("旋", "xuan"), ("腾", "teng"), ("飞", "fei"),
        ("启", "qi"), ("文", "wen"), ("同", "tong"), ("益", "yi"), ("晟", "sheng"), ("睿", "rui"), ("祥", "xiang"), ("聚", "ju"),
        ("合", "he"), ("众", "zhong"), ("君", "jun"), ("伟", "wei"), ("业", "ye"), ("国", "guo"), ("邦", "bang"), ("银", "yin"),
        ("河", "he"), ("山", "shan"), ("湖", "hu"), ("江", "jiang"), ("南", "nan"), ("北", "bei"), ("西", "xi"), ("青", "qing"),
        ("松", "song"), ("竹", "zhu"), ("梅", "mei"), ("兰", "lan"), ("骏", "jun"), ("驰", "chi"), ("捷", "jie"), ("迅", "xun"),
    ];

    private static readonly string[] DomainWords = ["", "", "tech", "group", "gs", "china", "sh", "corp"];

    private static readonly string[] MailDomains = ["qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "139.com", "aliyun.com", "outlook.com", "gmail.com", "yeah.net", "sohu.com"];

    private static readonly string[] CompanyMailboxes = ["info", "sales", "service", "contact", "hr", "admin", "market", "office"];

    /// <summary>China Mobile, Unicom, Telecom and virtual-operator prefixes (all accepted by libphonenumber).</summary>
    private static readonly string[] MobilePrefixes =
    [
        "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156", "157", "158", "159",
        "166", "173", "175", "176", "177", "178", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
        "191", "193", "195", "198", "199",
    ];

    private static readonly string[] Roads = ["人民", "解放", "中山", "建设", "长江", "黄河", "和平", "新华", "文化", "胜利", "友谊", "花园", "滨江", "科技", "学院", "东风", "迎宾", "青年", "复兴", "延安", "北京", "南京", "深南", "天府", "环城", "工业", "创业", "高新", "金融", "世纪"];

    private static readonly string[] RoadKinds = ["路", "路", "路", "大道", "街", "中路", "东路", "西路", "南路", "北路"];

    private static readonly string[] Buildings = ["国际大厦", "科技大厦", "金融中心", "商务中心", "创业园", "世纪广场", "财富中心", "写字楼"];

    private static readonly string[] PersonTitles = ["个体经营者", "企业主", "自由职业", "教师", "医生", "工程师", "设计师", "公务员", "店长", "律师", "会计师", "退休"];

    private static readonly string[] Interests = ["钓鱼", "高尔夫", "茶道", "书法", "摄影", "旅游", "健身", "围棋", "跑步", "红酒", "收藏", "登山", "读书", "羽毛球"];

    private static readonly string[] AnniversaryNames = ["结婚纪念日", "首次合作日", "开业纪念日", "孩子生日"];

    private static readonly string[] MarketPositions = ["行业龙头", "区域领先", "细分市场领先", "成长型企业", "初创企业", "传统企业转型中"];

    private static readonly string[] DecisionProcesses = ["采购部比价后报总经理审批", "总经理一人决策", "招投标", "技术部评估、财务审核、总经理批准", "需集团总部审批", "老板拍板，财务付款"];

    private static readonly string[] CreditNotes = ["按月结算，30 天账期", "预付款 30%，货到付余款", "货到付款", "季度对账结算", "需担保，额度每年复核"];

    private static readonly string[] Products = ["ERP 系统", "CRM 软件", "办公设备", "原材料", "物流服务", "广告投放", "员工培训", "工业设备", "包装材料", "财税服务", "云服务器", "安防监控", "办公家具", "定制礼品"];

    private static readonly string[] TagPool = ["VIP", "老客户", "展会", "重点跟进", "价格敏感", "转介绍", "大客户", "需回访", "新客户", "政府项目", "长期合作", "决策周期长", "有投诉", "付款及时"];

    private static readonly string[] Notes =
    [
        "展会上认识，对新品感兴趣", "老客户介绍，需尽快联系", "需要月底前报价", "已发送产品资料，等待回复", "关注售后服务与交付周期",
        "对价格比较敏感，可申请折扣", "年底有采购计划", "上次回访满意度较高", "要求提供样品试用", "决策人出差，下周再联系",
    ];

    private static readonly string[] ContactNotes = ["喜欢喝茶", "工作日上午方便联系", "微信沟通为主", "不接受电话推销，请发邮件", "节假日问候"];

    private static readonly ContactRole[] ContactRoles =
    [
        new("总经理", "总经办", DecisionRole.KeyDecisionMaker), new("董事长", "董事会", DecisionRole.KeyDecisionMaker),
        new("副总经理", "总经办", DecisionRole.DecisionMaker), new("采购经理", "采购部", DecisionRole.Influencer),
        new("采购专员", "采购部", DecisionRole.Contact), new("财务总监", "财务部", DecisionRole.Approver),
        new("技术总监", "技术部", DecisionRole.Influencer), new("项目经理", "项目部", DecisionRole.User),
        new("行政主管", "行政部", DecisionRole.Gatekeeper), new("销售总监", "销售部", DecisionRole.DecisionMaker),
        new("生产经理", "生产部", DecisionRole.User), new("前台", "行政部", DecisionRole.Gatekeeper),
    ];
}
