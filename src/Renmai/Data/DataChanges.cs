using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Renmai.Data;

/// <summary>
/// A process-wide counter that moves after every write this process makes to the database: commands that
/// are not SELECTs (SaveChanges, ExecuteUpdate/Delete, raw SQL through EF), committed transactions, and the
/// bulk writer. Caches of derived figures (the customer table's totals) remember the counter they were
/// computed at, so a write on this node is seen by the next request; another node's writes are seen when
/// the cache entry expires.
/// </summary>
public static class DataChanges
{
    private static long _generation;

    public static long Generation => Interlocked.Read(ref _generation);

    public static void Touch() => Interlocked.Increment(ref _generation);

    /// <summary>Registered on every context. Counts after the write (a read that starts later sees it).</summary>
    public static readonly IInterceptor Interceptor = new Counter();

    private sealed class Counter : IDbCommandInterceptor, IDbTransactionInterceptor
    {
        private static void After(DbCommand command)
        {
            var sql = command.CommandText.AsSpan().TrimStart();
            if (!sql.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) && !sql.StartsWith("PRAGMA", StringComparison.OrdinalIgnoreCase)) Touch();
        }

        public DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
        {
            After(command);
            return result;
        }

        public ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
        {
            After(command);
            return ValueTask.FromResult(result);
        }

        public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
        {
            After(command);
            return result;
        }

        public ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
        {
            After(command);
            return ValueTask.FromResult(result);
        }

        public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Touch();

        public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Touch();
            return Task.CompletedTask;
        }
    }
}
