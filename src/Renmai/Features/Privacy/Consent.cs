using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Renmai.Data;
using Renmai.Features.Contacts;
using Renmai.Features.Customers;

namespace Renmai.Features.Privacy;

/// <summary>How the person gave consent (R12.6).</summary>
public enum ConsentChannel { Written = 0, Phone = 1, WeChat = 2, WebForm = 3, Email = 4, InPerson = 5 }

/// <summary>
/// One consent a person gave for one purpose (PIPL art. 13–15): an individual customer, or one
/// contact person when <see cref="ContactId"/> is set. Kept after erasure as proof (the note is cleared).
/// Holds no personal data itself, so its timeline label never names the person.
/// </summary>
public sealed class ConsentRecord : AuditableEntity, ICustomerOwned
{
    public Guid CustomerId { get; set; }
    /// <summary>The contact person who consented; null means the (individual) customer.</summary>
    public Guid? ContactId { get; set; }
    /// <summary>One of <see cref="ConsentPurposes.Fixed"/> or free text.</summary>
    public string Purpose { get; set; } = "";
    public ConsentChannel Channel { get; set; }
    public DateOnly GivenOn { get; set; }
    public Guid? RecordedById { get; set; }
    public string RecordedByName { get; set; } = "";
    public string? Note { get; set; }
    public DateOnly? WithdrawnOn { get; set; }
    public Guid? WithdrawnById { get; set; }
    public string? WithdrawnByName { get; set; }

    public Guid CustomerIdForHistory => CustomerId;

    public override string ToString() => "授权 " + Purpose;
}

public static class ConsentPurposes
{
    public static readonly IReadOnlyList<string> Fixed = ["营销推广", "售后服务", "合同履行", "产品改进与调研", "第三方共享"];

    public static string ChannelLabel(ConsentChannel c) => c switch
    {
        ConsentChannel.Written => "书面",
        ConsentChannel.Phone => "电话",
        ConsentChannel.WeChat => "微信",
        ConsentChannel.WebForm => "网页表单",
        ConsentChannel.Email => "邮件",
        ConsentChannel.InPerson => "当面",
        _ => c.ToString(),
    };
}

internal sealed class ConsentRecordMapping : IEntityTypeConfiguration<ConsentRecord>
{
    public void Configure(EntityTypeBuilder<ConsentRecord> b)
    {
        b.ToTable("ConsentRecords");
        b.HasQueryFilter(c => c.DeletedAt == null);
        b.Ignore(c => c.CustomerIdForHistory);
        b.Property(c => c.Version).IsConcurrencyToken();
        b.Property(c => c.Purpose).HasMaxLength(100);
        b.Property(c => c.RecordedByName).HasMaxLength(200);
        b.Property(c => c.WithdrawnByName).HasMaxLength(200);
        b.Property(c => c.Note).HasMaxLength(1000);
        // The names next to them are what the timeline shows.
        b.Property(c => c.RecordedById).NotInHistory();
        b.Property(c => c.WithdrawnById).NotInHistory();
        b.HasOne<Customer>().WithMany().HasForeignKey(c => c.CustomerId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Contact>().WithMany().HasForeignKey(c => c.ContactId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(c => new { c.CustomerId, c.GivenOn });
        b.HasIndex(c => c.ContactId);
    }
}
