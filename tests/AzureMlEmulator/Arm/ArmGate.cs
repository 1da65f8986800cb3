using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using GenAiServerless.AzureMlEmulator.Control;

namespace GenAiServerless.AzureMlEmulator.Arm;

/// <summary>What every request passes before its route: for ARM paths the bearer token (401) and api-version (400)
/// checks and the request log; for ARM and scoring paths the injected faults; everywhere, an
/// <see cref="ArmException"/> becomes its ARM error. The control API (<c>/_emulator/</c>) skips all of it.</summary>
sealed partial class ArmGate(RequestDelegate next, EmulatorContext emulator, FaultInjector faults, ArmRequestLog log, TimeProvider clock)
{
    const int LoggedBodyLimit = 64 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        PathString path = context.Request.Path;
        if (path.StartsWithSegments("/_emulator", StringComparison.OrdinalIgnoreCase))
        {
            await RunAsync(context);
            return;
        }

        bool arm = path.StartsWithSegments("/subscriptions", StringComparison.OrdinalIgnoreCase);
        string? body = arm ? await ReadBodyForLogAsync(context.Request) : null;
        try
        {
            if (arm && !await AuthorizedAsync(context))
            {
                return;
            }

            if (arm && !await ApiVersionValidAsync(context))
            {
                return;
            }

            if (faults.TakeHttpFault(context.Request.Method, path.Value ?? "") is { } fault)
            {
                if (fault.RetryAfterSeconds is { } seconds)
                {
                    context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                }

                await fault.Error.WriteAsync(context, fault.Status);
                return;
            }

            await RunAsync(context);
        }
        finally
        {
            if (arm)
            {
                log.Add(new ArmRequestRecord(clock.GetUtcNow(), context.Request.Method, path.Value ?? "", context.Request.QueryString.Value ?? "", body, context.Response.StatusCode));
            }
        }
    }

    async Task RunAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (ArmException e) when (!context.Response.HasStarted)
        {
            await e.Error.WriteAsync(context, e.StatusCode);
        }
    }

    async Task<bool> AuthorizedAsync(HttpContext context)
    {
        string header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            await Unauthorized(context, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
            return false;
        }

        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(header[scheme.Length..].Trim(), emulator.BearerToken, StringComparison.Ordinal))
        {
            await Unauthorized(context, "InvalidAuthenticationToken", "The access token is invalid.");
            return false;
        }

        return true;
    }

    Task Unauthorized(HttpContext context, string code, string message)
    {
        // ARM's challenge names the tenant to get a token from.
        context.Response.Headers.WWWAuthenticate =
            $"Bearer authorization_uri=\"https://login.microsoftonline.com/{emulator.Options.TenantId}\", error=\"invalid_token\", error_description=\"{message}\"";
        return new ArmError(code, message).WriteAsync(context, StatusCodes.Status401Unauthorized);
    }

    static async Task<bool> ApiVersionValidAsync(HttpContext context)
    {
        string version = context.Request.Query["api-version"].ToString();
        if (version.Length == 0)
        {
            await new ArmError("MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
                .WriteAsync(context, StatusCodes.Status400BadRequest);
            return false;
        }

        if (!ApiVersionPattern().IsMatch(version))
        {
            await new ArmError("InvalidApiVersionParameter", $"The api-version '{version}' is invalid. The supported versions look like '2025-12-01' or '2024-10-01-preview'.")
                .WriteAsync(context, StatusCodes.Status400BadRequest);
            return false;
        }

        return true;
    }

    static async Task<string?> ReadBodyForLogAsync(HttpRequest request)
    {
        if (request.ContentLength is 0 or null && !request.Headers.TransferEncoding.Any(v => v?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true))
        {
            return null;
        }

        request.EnableBuffering();
        using var reader = new StreamReader(request.Body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        char[] buffer = new char[LoggedBodyLimit];
        int read = await reader.ReadBlockAsync(buffer, request.HttpContext.RequestAborted);
        request.Body.Position = 0;
        return new string(buffer, 0, read);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(-preview)?$", RegexOptions.CultureInvariant)]
    private static partial Regex ApiVersionPattern();
}
