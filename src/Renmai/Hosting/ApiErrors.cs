using Microsoft.AspNetCore.Diagnostics;
using Renmai.Features.Customers;

namespace Renmai.Hosting;

/// <summary>
/// Turns service exceptions into application/problem+json for API callers:
/// validation → 400 with per-field errors, not found → 404, forbidden → 403,
/// stale version → 412 with the current record, missing If-Match → 428, pool rule → 409.
/// </summary>
public sealed class ApiErrors(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var http = httpContext;
        if (!http.Request.Path.StartsWithSegments("/api")) return false;
        if (exception is BadHttpRequestException bad)
        {
            // A body that is not valid JSON for the schema: name the field, as a validation error.
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            if (bad.InnerException is System.Text.Json.JsonException json)
            {
                var errors = new ValidationErrors();
                var field = json.Path is { Length: > 2 } p ? p.TrimStart('$', '.') : "body";
                errors.Add(field, "值的格式或取值不正确" + (json.Path is null ? "（请求体不是有效的 JSON）" : ""));
                return await Write(http, new ValidationFailedException(errors), "输入有误", "");
            }
            return await Write(http, exception, "请求格式不正确", bad.Message);
        }
        var (status, title) = exception switch
        {
            ValidationFailedException => (StatusCodes.Status400BadRequest, "输入有误"),
            NotFoundException => (StatusCodes.Status404NotFound, "未找到"),
            ForbiddenException => (StatusCodes.Status403Forbidden, "没有权限"),
            ConcurrencyConflictException => (StatusCodes.Status412PreconditionFailed, "记录已被他人修改"),
            PreconditionRequiredException => (StatusCodes.Status428PreconditionRequired, "缺少版本号"),
            Renmai.Features.Pool.PoolRuleException => (StatusCodes.Status409Conflict, "不符合公海规则"),
            Renmai.Features.Import.ImportFileException => (StatusCodes.Status400BadRequest, "文件无法导入"),
            InvalidOperationException when http.Request.Path.StartsWithSegments("/api/v1/imports") => (StatusCodes.Status409Conflict, "操作不适用于该导入的当前状态"),
            Renmai.Features.Privacy.SensitiveDataException => (StatusCodes.Status500InternalServerError, "敏感数据校验失败"),
            _ => (0, ""),
        };
        if (status == 0) return false;
        if (exception is ForbiddenException)
        {
            // Permission denials are security events (R12.4): who tried what, from where.
            var actor = Renmai.Features.Users.CurrentActor.FromPrincipal(http.User);
            await http.RequestServices.GetRequiredService<Renmai.Features.Audit.AuditLog>().WriteAsync(Renmai.Features.Audit.AuditActions.PermissionDenied,
                false, http, actor.UserId, actor.Name, $"{http.Request.Method} {http.Request.Path}", exception.Message, cancellationToken);
        }
        http.Response.StatusCode = status;
        return await Write(http, exception, title, exception.Message);
    }

    private async ValueTask<bool> Write(HttpContext http, Exception exception, string title, string detail)
    {
        var pd = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = http.Response.StatusCode, Title = title, Detail = detail };
        if (exception is ValidationFailedException v)
        {
            pd.Detail = "请修正标出的字段后重试";
            pd.Extensions["errors"] = v.Errors.Fields.ToDictionary(f => f.Key, f => f.Value.ToArray());
        }
        if (exception is ConcurrencyConflictException c && c.Current is not null) pd.Extensions["current"] = c.Current;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = pd, Exception = exception });
    }
}
