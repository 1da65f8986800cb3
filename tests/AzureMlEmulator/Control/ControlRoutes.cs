using GenAiServerless.AzureMlEmulator.Arm;

namespace GenAiServerless.AzureMlEmulator.Control;

/// <summary>The emulator-only control API under <c>/_emulator/</c> (no token): fault injection and the ARM request
/// log. Nothing here exists on Azure.</summary>
static class ControlRoutes
{
    public static void MapControlApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder control = app.MapGroup("/_emulator");

        control.MapGet("/faults", (FaultInjector faults) => Results.Json(faults.Describe()));
        control.MapDelete("/faults", (FaultInjector faults) =>
        {
            faults.Clear();
            return Results.NoContent();
        });
        control.MapPost("/faults/http", (HttpFaultRequest request, FaultInjector faults) => Results.Json(new { id = faults.AddHttpFault(request) }, statusCode: StatusCodes.Status201Created));
        control.MapPost("/faults/lro", (LroFaultRequest request, FaultInjector faults) => Results.Json(new { id = faults.AddLroFault(request) }, statusCode: StatusCodes.Status201Created));
        control.MapGet("/requests", (ArmRequestLog log) => Results.Json(log.Snapshot()));
        control.MapDelete("/requests", (ArmRequestLog log) =>
        {
            log.Clear();
            return Results.NoContent();
        });
    }

}
