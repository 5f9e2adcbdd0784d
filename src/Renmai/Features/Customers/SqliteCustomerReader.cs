using System.Collections.Concurrent;
using System.Data;
using System.Linq.Expressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Renmai.Data;

namespace Renmai.Features.Customers;

/// <summary>
/// Opens one customer by number on SQLite with a statement that is prepared once per connection.
/// Why: Microsoft.Data.Sqlite prepares every command anew and the customer SELECT has ~60 columns;
/// a profile of GET /api/v1/customers/{number} showed half of the endpoint's time in that prepare.
/// The SQL and the materialisation are built from the EF model (table, columns, value converters),
/// so they cannot drift from the mapping; the scope rule is passed in by <see cref="CustomerService"/>.
/// PostgreSQL does not need this (Npgsql prepares automatically), so there the EF query is used.
/// </summary>
public sealed class SqliteCustomerReader : IDisposable
{
    private sealed record Column(IProperty Property, Action<Customer, object?> Set, Func<SqliteDataReader, int, object> Read, Func<object, object?>? FromProvider);

    private sealed class Lease(SqliteConnection connection, SqliteCommand command) : IDisposable
    {
        public SqliteConnection Connection { get; } = connection;
        public SqliteCommand Command { get; } = command;

        public void Dispose()
        {
            Command.Dispose();
            Connection.Dispose();
        }
    }

    private const int MaxIdle = 16;
    private readonly ConcurrentBag<Lease> _idle = [];
    private readonly string? _connectionString;
    private readonly Lazy<(string Sql, Column[] Columns)> _plan;
    private readonly Privacy.SensitiveStore _sensitive;

    public SqliteCustomerReader(RenmaiStorage storage, IDbContextFactory<RenmaiDb> dbs, Privacy.SensitiveStore sensitive)
    {
        _sensitive = sensitive;
        if (storage.Provider == DatabaseProvider.Sqlite) _connectionString = storage.ConnectionString;
        _plan = new Lazy<(string, Column[])>(() =>
        {
            using var db = dbs.CreateDbContext();
            return Plan(db.Model.FindEntityType(typeof(Customer))!);
        });
    }

    public bool IsAvailable => _connectionString is not null;

    /// <summary>The customer with this number, not deleted, and (unless <paramref name="all"/>) owned by <paramref name="owner"/>.</summary>
    public Customer? Find(string number, bool all, Guid? owner)
    {
        var (sql, columns) = _plan.Value;
        var lease = _idle.TryTake(out var idle) ? idle : Open(sql);
        var healthy = false;
        try
        {
            var p = lease.Command.Parameters;
            p[0].Value = number;
            p[1].Value = all;
            // EF stores Guids as upper-case text on SQLite.
            p[2].Value = owner is { } o ? o.ToString().ToUpperInvariant() : DBNull.Value;
            using var reader = lease.Command.ExecuteReader(CommandBehavior.SingleRow);
            Customer? customer = null;
            if (reader.Read())
            {
                customer = new Customer();
                for (var i = 0; i < columns.Length; i++)
                {
                    var c = columns[i];
                    if (reader.IsDBNull(i)) { c.Set(customer, null); continue; }
                    var value = c.Read(reader, i);
                    c.Set(customer, c.FromProvider is null ? value : c.FromProvider(value));
                }
            }
            healthy = true;
            // The same decryption EF's materialisation interceptor does (ADR 0012).
            if (customer is not null) _sensitive.Open(customer);
            return customer;
        }
        finally
        {
            if (healthy && _idle.Count < MaxIdle) _idle.Add(lease);
            else lease.Dispose();
        }
    }

    private Lease Open(string sql)
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA busy_timeout=10000; PRAGMA query_only=1;";
            pragma.ExecuteNonQuery();
        }
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.Add("$number", SqliteType.Text);
        command.Parameters.Add("$all", SqliteType.Integer);
        command.Parameters.Add("$owner", SqliteType.Text);
        command.Prepare();
        return new Lease(connection, command);
    }

    private static (string, Column[]) Plan(IEntityType entity)
    {
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var columns = entity.GetProperties().Where(p => p.PropertyInfo is not null).Select(p =>
        {
            var mapping = p.GetRelationalTypeMapping();
            var converter = mapping.Converter;
            var providerType = Nullable.GetUnderlyingType(converter?.ProviderClrType ?? p.ClrType) ?? converter?.ProviderClrType ?? p.ClrType;
            return new Column(p, Setter(p.PropertyInfo!), ReaderFor(providerType), converter is null ? null : converter.ConvertFromProvider);
        }).ToArray();
        string Q(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        var number = entity.FindProperty(nameof(Customer.Number))!.GetColumnName(table)!;
        var deleted = entity.FindProperty(nameof(Customer.DeletedAt))!.GetColumnName(table)!;
        var owner = entity.FindProperty(nameof(Customer.OwnerId))!.GetColumnName(table)!;
        var sql = $"SELECT {string.Join(", ", columns.Select(c => Q(c.Property.GetColumnName(table)!)))} FROM {Q(table.Name)} " +
                  $"WHERE {Q(number)} = $number AND {Q(deleted)} IS NULL AND ($all OR {Q(owner)} = $owner) LIMIT 1";
        return (sql, columns);
    }

    /// <summary>A compiled property setter (reflection's SetValue was a tenth of a lookup's time).</summary>
    private static Action<Customer, object?> Setter(System.Reflection.PropertyInfo property)
    {
        var customer = Expression.Parameter(typeof(Customer));
        var value = Expression.Parameter(typeof(object));
        var assign = Expression.Assign(Expression.Property(customer, property),
            Expression.Convert(value, property.PropertyType));
        return Expression.Lambda<Action<Customer, object?>>(assign, customer, value).Compile();
    }

    private static Func<SqliteDataReader, int, object> ReaderFor(Type t)
    {
        if (t == typeof(string)) return (r, i) => r.GetString(i);
        if (t == typeof(Guid)) return (r, i) => r.GetGuid(i);
        if (t == typeof(DateTime)) return (r, i) => r.GetDateTime(i);
        if (t == typeof(DateOnly)) return (r, i) => r.GetFieldValue<DateOnly>(i);
        if (t == typeof(bool)) return (r, i) => r.GetBoolean(i);
        if (t == typeof(int)) return (r, i) => r.GetInt32(i);
        if (t == typeof(long)) return (r, i) => r.GetInt64(i);
        if (t == typeof(double)) return (r, i) => r.GetDouble(i);
        if (t == typeof(decimal)) return (r, i) => r.GetDecimal(i);
        if (t.IsEnum) return (r, i) => Enum.ToObject(t, r.GetInt64(i));
        throw new NotSupportedException($"No SQLite reader for column type {t}.");
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var lease)) lease.Dispose();
    }
}
