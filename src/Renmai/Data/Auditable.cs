namespace Renmai.Data;

/// <summary>Where a change came from; shown in the timeline next to who made it.</summary>
public enum ChangeSource
{
    User = 0,
    Api = 1,
    Import = 2,
    Automation = 3,
    System = 4,
}

/// <summary>
/// A record that carries created/updated stamps, a soft-delete marker and an optimistic
/// concurrency version. The <see cref="HistoryInterceptor"/> fills these in; code never sets them.
/// </summary>
public abstract class AuditableEntity
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public DateTime CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTime UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";
    public ChangeSource UpdatedVia { get; set; }
    public DateTime? DeletedAt { get; set; }
    public string? DeletedBy { get; set; }

    /// <summary>Concurrency token: a save that started from an older version is refused.</summary>
    public int Version { get; set; }
}

/// <summary>An auditable record whose field changes appear in a customer's timeline.</summary>
public interface ICustomerOwned
{
    Guid CustomerIdForHistory { get; }
}

/// <summary>Who is changing data in this unit of work, and through which channel.</summary>
public sealed class Actor
{
    public static readonly Actor System = new(null, "系统", ChangeSource.System, ["admin"]);

    public Actor(Guid? userId, string name, ChangeSource source, IReadOnlyCollection<string> roles)
    {
        UserId = userId;
        Name = name;
        Source = source;
        Roles = roles;
    }

    public Guid? UserId { get; }
    public string Name { get; }
    public ChangeSource Source { get; }
    public IReadOnlyCollection<string> Roles { get; }

    /// <summary>
    /// For managers: the members of the teams they lead, whose customers they see and edit.
    /// Empty for everyone else.
    /// </summary>
    public IReadOnlyCollection<Guid> ManagedUserIds { get; init; } = [];

    public bool IsInRole(string role) => Roles.Contains(role);

    public Actor Via(ChangeSource source) => new(UserId, Name, source, Roles) { ManagedUserIds = ManagedUserIds };
}

/// <summary>A record that is only ever inserted (history, audit log); the interceptor refuses changes and deletes.</summary>
public interface IAppendOnly;
