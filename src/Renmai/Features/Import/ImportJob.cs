using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Renmai.Data;

namespace Renmai.Features.Import;

public enum ImportStatus
{
    /// <summary>Waiting for a worker (also after an interrupted run was rolled back and is run again).</summary>
    Queued = 0,
    Running = 1,
    Succeeded = 2,
    /// <summary>Stopped by an error; whatever it had written was rolled back.</summary>
    Failed = 3,
    /// <summary>Cancelled by the user; whatever it had written was rolled back.</summary>
    Cancelled = 4,
    /// <summary>Finished, then undone by the user (created customers deleted, updated ones restored).</summary>
    Undone = 5,
    /// <summary>Uploaded, mapping and options not confirmed yet.</summary>
    Draft = 6,
}

public enum ImportMode { Create = 0, Update = 1, Upsert = 2 }

public enum ImportKey { Number = 0, Uscc = 1, Phone = 2, Email = 3, NameCompany = 4 }

/// <summary>What to do with a row whose key is already in the database (or earlier in the file).</summary>
public enum DuplicateChoice { Skip = 0, Update = 1, CreateAnyway = 2 }

public enum ImportOwner { Me = 0, User = 1, Pool = 2 }

/// <summary>The choices of one import: they travel with the job so a worker on any node runs it the same way.</summary>
public sealed class ImportOptions
{
    public ImportMode Mode { get; set; } = ImportMode.Create;
    public ImportKey Key { get; set; } = ImportKey.Phone;
    public DuplicateChoice Duplicates { get; set; } = DuplicateChoice.Skip;
    /// <summary>"utf-8", "gbk", "utf-16"; null = detect.</summary>
    public string? Encoding { get; set; }
    /// <summary>File column index → target field key (see <see cref="ImportFields"/>); unmapped columns are ignored.</summary>
    public Dictionary<int, string> Mapping { get; set; } = [];
    public ImportOwner Owner { get; set; } = ImportOwner.Me;
    public Guid? OwnerUserId { get; set; }
}

/// <summary>
/// One import as a durable job (ARCHITECTURE "Jobs"; ADR 0020): the uploaded file lives in the data
/// folder, a worker takes the job with a lease, and an interrupted run is rolled back and run again.
/// </summary>
public sealed class ImportJob
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string FileName { get; set; } = "";
    /// <summary>The stored upload, relative to the data folder's imports/ directory.</summary>
    public string StoredFile { get; set; } = "";
    public Guid? UserId { get; set; }
    public string UserName { get; set; } = "";
    public string OptionsJson { get; set; } = "{}";
    /// <summary>The file's header row, to remember this user's mapping for the next file with the same headers.</summary>
    public string? HeadersJson { get; set; }
    /// <summary>The importer's roles and team members when it was started: the worker acts with exactly this scope.</summary>
    public string RolesJson { get; set; } = "[]";
    public string ManagedUserIdsJson { get; set; } = "[]";
    public ImportStatus Status { get; set; }
    public bool DryRun { get; set; }
    public int Attempts { get; set; }
    public long TotalRows { get; set; }
    public long RowsDone { get; set; }
    public long Created { get; set; }
    public long Updated { get; set; }
    public long Skipped { get; set; }
    public long Failed { get; set; }
    /// <summary>A Chinese summary or the reason of a failure.</summary>
    public string? Message { get; set; }
    /// <summary>The error file (original rows + 错误 column), relative to imports/.</summary>
    public string? ErrorFile { get; set; }
    public bool CancelRequested { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseUntil { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }

    public ImportOptions Options
    {
        get => JsonStorage.Deserialize<ImportOptions>(OptionsJson) ?? new ImportOptions();
        set => OptionsJson = JsonStorage.Serialize(value);
    }

    public bool IsFinished => Status is ImportStatus.Succeeded or ImportStatus.Failed or ImportStatus.Cancelled or ImportStatus.Undone;
}

/// <summary>The state of a customer before an import updated it, sealed like the customer's own sensitive data, for undo.</summary>
public sealed class ImportChange
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ImportId { get; set; }
    public Guid CustomerId { get; set; }
    /// <summary>Set when the change is to one of the customer's contacts: Before is then that contact (or "null": the import added it).</summary>
    public Guid? ContactId { get; set; }
    /// <summary>The customer form (with plaintext phones) before the update, encrypted (ADR 0012).</summary>
    public string Before { get; set; } = "";
}

internal sealed class ImportJobMapping : IEntityTypeConfiguration<ImportJob>
{
    public void Configure(EntityTypeBuilder<ImportJob> b)
    {
        b.ToTable("ImportJobs");
        b.Ignore(x => x.Options);
        b.Ignore(x => x.IsFinished);
        b.Property(x => x.FileName).HasMaxLength(260);
        b.Property(x => x.StoredFile).HasMaxLength(100);
        b.Property(x => x.ErrorFile).HasMaxLength(100);
        b.Property(x => x.UserName).HasMaxLength(200);
        b.Property(x => x.LeaseOwner).HasMaxLength(64);
        b.Property(x => x.Message).HasMaxLength(2000);
        b.HasIndex(x => new { x.Status, x.CreatedAt });
        b.HasIndex(x => new { x.UserId, x.CreatedAt });
    }
}

internal sealed class ImportChangeMapping : IEntityTypeConfiguration<ImportChange>
{
    public void Configure(EntityTypeBuilder<ImportChange> b)
    {
        b.ToTable("ImportChanges");
        b.HasIndex(x => new { x.ImportId, x.CustomerId });
    }
}
