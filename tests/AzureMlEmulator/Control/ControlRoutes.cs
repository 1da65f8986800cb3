using GenAiServerless.AzureMlEmulator.Arm;
using GenAiServerless.AzureMlEmulator.Jobs;

namespace GenAiServerless.AzureMlEmulator.Control;

/// <summary>The emulator-only control API under <c>/_emulator/</c> (no token): job internals and logs, preemption,
/// fault injection, the ARM request log. Nothing here exists on Azure.</summary>
static class ControlRoutes
{
    public static void MapControlApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder control = app.MapGroup("/_emulator");

        control.MapGet("/jobs/{id}", (string id, JobStore jobs) => WithJob(jobs, id, job =>
        {
            lock (job.Gate)
            {
                return Results.Json(new
                {
                    id = job.Scope.ChildId($"jobs/{job.Name}"),
                    job.Status,
                    job.Attempt,
                    job.LowPriority,
                    job.ExitCode,
                    job.Failure,
                    job.StderrTail,
                    workingDirectory = job.AttemptFolder,
                    stdout = job.StdoutPath,
                    stderr = job.StderrPath,
                    outputFolders = job.OutputFolders,
                    history = job.History.ToArray(),
                });
            }
        }));
        control.MapGet("/jobs/{id}/stdout", (string id, JobStore jobs) => WithJob(jobs, id, job => Log(job.StdoutPath)));
        control.MapGet("/jobs/{id}/stderr", (string id, JobStore jobs) => WithJob(jobs, id, job => Log(job.StderrPath)));
        control.MapPost("/jobs/{id}/preempt", (string id, string? mode, JobStore jobs, JobRunner runner) => WithJob(jobs, id, job =>
        {
            JobInterruption how = (mode ?? "requeue").ToUpperInvariant() switch
            {
                "REQUEUE" => JobInterruption.PreemptRequeue,
                "FAIL" => JobInterruption.PreemptFail,
                _ => throw new ArmException(StatusCodes.Status400BadRequest, ArmError.User($"mode '{mode}' is not requeue or fail.", "mode")),
            };
            return runner.Preempt(job, how)
                ? Results.Json(new { preempted = job.Name, mode = how == JobInterruption.PreemptRequeue ? "requeue" : "fail" }, statusCode: StatusCodes.Status202Accepted)
                : ArmResults.Conflict($"Job '{id}' is {job.Status}, not running: only a running job can be preempted.", id);
        }));

        control.MapGet("/auto-preemption", (AutoPreemption auto) => auto.Settings is { } settings ? Results.Json(settings) : Results.NoContent());
        control.MapPut("/auto-preemption", (AutoPreemptionOptions settings, AutoPreemption auto) =>
        {
            try
            {
                auto.Configure(settings);
            }
            catch (ArgumentOutOfRangeException e)
            {
                return ArmResults.BadRequest(e.Message, "atProgress");
            }

            return Results.Json(settings);
        });
        control.MapDelete("/auto-preemption", (AutoPreemption auto) =>
        {
            auto.Configure(null);
            return Results.NoContent();
        });

        control.MapGet("/faults", (FaultInjector faults) => Results.Json(faults.Describe()));
        control.MapDelete("/faults", (FaultInjector faults) =>
        {
            faults.Clear();
            return Results.NoContent();
        });
        control.MapPost("/faults/http", (HttpFaultRequest request, FaultInjector faults) => Results.Json(new { id = faults.AddHttpFault(request) }, statusCode: StatusCodes.Status201Created));
        control.MapPost("/faults/lro", (LroFaultRequest request, FaultInjector faults) => Results.Json(new { id = faults.AddLroFault(request) }, statusCode: StatusCodes.Status201Created));
        control.MapPost("/endpoints/{endpointName}/deployments/{deploymentName}/provisioning-failure", (string endpointName, string deploymentName, ProvisioningFaultRequest request, FaultInjector faults) =>
        {
            faults.FailProvisioning(endpointName, deploymentName, request);
            return Results.NoContent();
        });
        control.MapPut("/endpoints/{endpointName}/deployments/{deploymentName}/scoring-fault", (string endpointName, string deploymentName, ScoringFaultRequest request, FaultInjector faults) =>
        {
            faults.SetScoringFault(endpointName, deploymentName, request);
            return Results.NoContent();
        });
        control.MapDelete("/endpoints/{endpointName}/deployments/{deploymentName}/scoring-fault", (string endpointName, string deploymentName, FaultInjector faults) =>
        {
            faults.ClearScoringFault(endpointName, deploymentName);
            return Results.NoContent();
        });

        control.MapGet("/requests", (ArmRequestLog log) => Results.Json(log.Snapshot()));
        control.MapDelete("/requests", (ArmRequestLog log) =>
        {
            log.Clear();
            return Results.NoContent();
        });
    }

    static IResult WithJob(JobStore jobs, string id, Func<EmulatedJob, IResult> answer) => jobs.FindByName(id) switch
    {
        [] => ArmResults.NotFound("jobs", id),
        [var job] => answer(job),
        _ => ArmResults.Conflict($"Job id '{id}' exists in more than one workspace.", id),
    };

    static IResult Log(string path)
    {
        if (!File.Exists(path))
        {
            return Results.Text("", "text/plain");
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return Results.Text(reader.ReadToEnd(), "text/plain");
    }
}
