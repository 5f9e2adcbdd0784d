using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Classification;
using Renmai.Features.Customers;
using Renmai.Features.Users;

namespace Renmai.Features.Contacts;

public sealed class ContactForm
{
    public Guid? Id { get; set; }
    public string Name { get; set; } = "";
    public Gender Gender { get; set; }
    public string? Title { get; set; }
    public string? Department { get; set; }
    public DecisionRole Role { get; set; }
    public List<PhoneEntry> Phones { get; set; } = [];
    public string? Email { get; set; }
    public string? WeChat { get; set; }
    public DateOnly? BirthDate { get; set; }
    public bool IsPrimary { get; set; }
    public string? Notes { get; set; }
    public int Version { get; set; }

    public static ContactForm From(Contact c) => new()
    {
        Id = c.Id, Name = c.Name, Gender = c.Gender, Title = c.Title, Department = c.Department, Role = c.Role,
        // Masked on every read (ADR 0013); the customer's reveal returns the contacts' plaintext phones.
        Phones = Privacy.Masking.Phones(c.Phones),
        Email = c.Email, WeChat = c.WeChat, BirthDate = c.BirthDate, IsPrimary = c.IsPrimary, Notes = c.Notes, Version = c.Version,
    };
}

/// <summary>Contact persons of a customer (R1.3). Access follows the parent customer's scope.</summary>
public sealed class ContactService(IDbContextFactory<RenmaiDb> dbs, CurrentActor current)
{
    public async Task<List<ContactForm>> ListAsync(string customerNumber, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var customer = await CustomerService.FindVisibleAsync(db, actor, customerNumber, ct);
        var list = await db.Set<Contact>().AsNoTracking().Where(c => c.CustomerId == customer.Id)
            .OrderByDescending(c => c.IsPrimary).ThenBy(c => c.CreatedAt).ToListAsync(ct);
        return list.Select(ContactForm.From).ToList();
    }

    public async Task<ContactForm> AddAsync(string customerNumber, ContactForm form, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        EnsureCanWrite(actor);
        Validate(form);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var customer = await CustomerService.FindVisibleAsync(db, actor, customerNumber, ct);
        var contact = new Contact { CustomerId = customer.Id };
        Apply(contact, form);
        db.Add(contact);
        await db.SaveChangesAsync(ct);
        return ContactForm.From(contact);
    }

    public async Task<ContactForm> UpdateAsync(string customerNumber, Guid contactId, ContactForm form, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        EnsureCanWrite(actor);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var contact = await FindAsync(db, actor, customerNumber, contactId, ct);
        // Untouched masked phones keep their stored numbers.
        Privacy.Masking.RestorePhones(form.Phones, contact.Phones);
        Validate(form);
        if (contact.Version != form.Version)
            throw new ConcurrencyConflictException($"联系人“{contact.Name}”已被 {contact.UpdatedBy} 修改，请刷新后重试。", ContactForm.From(contact));
        Apply(contact, form);
        db.Entry(contact).Property(c => c.Version).OriginalValue = form.Version;
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateConcurrencyException)
        {
            throw new ConcurrencyConflictException($"联系人“{form.Name}”已被他人修改，请刷新后重试。", null);
        }
        return ContactForm.From(contact);
    }

    public async Task DeleteAsync(string customerNumber, Guid contactId, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        EnsureCanWrite(actor);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var contact = await FindAsync(db, actor, customerNumber, contactId, ct);
        contact.DeletedAt = DateTime.UtcNow;
        await db.SaveChangesAsync(ct);
    }

    private static async Task<Contact> FindAsync(RenmaiDb db, Actor actor, string customerNumber, Guid contactId, CancellationToken ct)
    {
        var customer = await CustomerService.FindVisibleAsync(db, actor, customerNumber, ct);
        return await db.Set<Contact>().SingleOrDefaultAsync(c => c.Id == contactId && c.CustomerId == customer.Id, ct)
            ?? throw new NotFoundException("联系人不存在");
    }

    private static void EnsureCanWrite(Actor actor)
    {
        if (actor.IsInRole(Roles.Auditor) && actor.Roles.Count == 1) throw new ForbiddenException("审计员为只读角色，不能修改联系人");
    }

    /// <summary>Every field of the form onto the contact (the import's new contacts and its undo use it too).</summary>
    internal static void Apply(Contact c, ContactForm f)
    {
        c.Name = f.Name; c.Gender = f.Gender; c.Title = f.Title; c.Department = f.Department; c.Role = f.Role;
        c.Phones = f.Phones.Select(p => p.Copy()).ToList();
        c.Email = f.Email; c.WeChat = f.WeChat; c.BirthDate = f.BirthDate; c.IsPrimary = f.IsPrimary; c.Notes = f.Notes;
    }

    internal static void Validate(ContactForm f)
    {
        var e = new ValidationErrors();
        f.Name = (f.Name ?? "").Trim();
        if (f.Name.Length == 0) e.Add("name", "请填写联系人姓名");
        else if (f.Name.Length > 100) e.Add("name", "姓名不能超过 100 个字");
        for (var i = 0; i < f.Phones.Count; i++)
        {
            var (normalized, error) = Validators.CheckPhone(f.Phones[i].Number ?? "", f.Phones[i].Kind);
            if (error is not null) e.Add($"phones[{i}].number", error);
            else f.Phones[i].Number = normalized!;
        }
        f.Email = string.IsNullOrWhiteSpace(f.Email) ? null : f.Email.Trim();
        if (f.Email is not null && Validators.CheckEmail(f.Email) is { } emailError) e.Add("email", emailError);
        if (!Enum.IsDefined(f.Role)) e.Add("role", "未知的决策角色");
        f.Title = string.IsNullOrWhiteSpace(f.Title) ? null : f.Title.Trim();
        f.Department = string.IsNullOrWhiteSpace(f.Department) ? null : f.Department.Trim();
        f.WeChat = string.IsNullOrWhiteSpace(f.WeChat) ? null : f.WeChat.Trim();
        e.ThrowIfAny();
    }
}
