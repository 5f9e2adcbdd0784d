using Renmai.Features.Classification;
using Renmai.Features.Customers;
using Renmai.Features.Import;

namespace Renmai.Tests.Features.Import;

/// <summary>How one row's cells become a customer form (no database: <see cref="ImportFields.Apply"/> alone).</summary>
public sealed class ImportFieldsTests
{
    private static readonly Dictionary<int, string> Mapping = new()
    {
        [0] = "name", [1] = "kind", [2] = "intent", [3] = "gender", [4] = "stage", [5] = "type", [6] = "valueTier",
    };

    private static (CustomerForm Form, ImportFields.RowErrors Errors) Apply(params string[] cells)
    {
        var form = new CustomerForm();
        var errors = new ImportFields.RowErrors();
        ImportFields.Apply(form, ImportFields.NewContacts(Mapping), cells, Mapping, update: false, errors);
        return (form, errors);
    }

    [Fact]
    public void Classification_cells_take_labels_names_and_extra_words_and_otherwise_list_the_choices()
    {
        // Labels as the UI shows them, in full-width or with spaces around them.
        var (form, errors) = Apply("张伟", "个人客户", "Ａ级", " 女 ", "首次成交", "现有客户", "价值高");
        Assert.False(errors.Any, string.Join("; ", errors.Items));
        Assert.Equal((CustomerKind.Individual, IntentGrade.A, Gender.Female, LifecycleStage.FirstPurchase, CustomerType.Existing, Level.High),
            (form.Kind, form.Intent, form.Gender, form.Stage, form.Type, form.ValueTier));

        // Enum names in any case, a grade without 级, and the extra words of 客户性质 and 性别.
        (form, errors) = Apply("华夏科技", "公司", "b", "男性", "loyal", "partner", "low");
        Assert.False(errors.Any, string.Join("; ", errors.Items));
        Assert.Equal((CustomerKind.Company, IntentGrade.B, Gender.Male, LifecycleStage.Loyal, CustomerType.Partner, Level.Low),
            (form.Kind, form.Intent, form.Gender, form.Stage, form.Type, form.ValueTier));

        // Anything else is an error on its column that names the choices, and the field keeps its default.
        (form, errors) = Apply("李娜", "个人客户", "F级", "女", "潜在", "供应商", "高");
        Assert.Equal([(2, "“F级”不是可选值（A级、B级、C级、D级、E级）"), (5, "“供应商”不是可选值（潜在客户、现有客户、合作伙伴）")], errors.Items);
        Assert.Equal((IntentGrade?)null, form.Intent);
        Assert.Equal(CustomerType.Potential, form.Type);
    }
}
