using System.Text.Json.Nodes;
using GenAiServerless.AzureMlEmulator.Arm;

namespace GenAiServerless.AzureMlEmulator.Jobs;

/// <summary><c>PUT W/jobs/{id}</c> (201 created and started; 200 with the existing job when the id exists — a second
/// PUT never starts a second run), <c>GET W/jobs/{id}</c> (404 when absent), <c>GET W/jobs</c>
/// (<c>jobType</c> filter), <c>POST W/jobs/{id}/cancel</c> (202 + Location while it stops; 200 when already ended).</summary>
static class JobRoutes
{
    const string Type = "Microsoft.MachineLearningServices/workspaces/jobs";
    static readonly string[] ReadOnlyFields = ["status", "services"];

    public static void MapJobs(this IEndpointRouteBuilder workspace)
    {
        workspace.MapPut("/jobs/{id}", PutAsync);
        workspace.MapGet("/jobs/{id}", (string subscriptionId, string resourceGroupName, string workspaceName, string id, JobStore jobs) =>
        {
            var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
            return jobs.Find(scope, id) is { } job ? ArmResults.Json(Resource(job)) : ArmResults.NotFound("jobs", id);
        });
        workspace.MapGet("/jobs", (HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, JobStore jobs) =>
        {
            var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
            string jobType = context.Request.Query["jobType"].ToString();
            IEnumerable<EmulatedJob> listed = jobs.List(scope)
                .Where(j => jobType.Length == 0 || string.Equals(RequestBody.Text(j.Properties, "jobType"), jobType, StringComparison.OrdinalIgnoreCase));
            return ArmResults.Json(new JsonObject { ["value"] = new JsonArray([.. listed.Select(j => (JsonNode)Resource(j))]) });
        });
        workspace.MapPost("/jobs/{id}/cancel", (HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, string id, JobStore jobs, JobRunner runner, OperationStore operations) =>
        {
            var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
            if (jobs.Find(scope, id) is not { } job)
            {
                return ArmResults.NotFound("jobs", id);
            }

            Operation operation = operations.Start(context, scope, () => Resource(job));
            lock (job.Gate)
            {
                job.CancelOperation ??= operation;
            }

            if (!runner.Cancel(job))
            {
                operations.Finish(operation, null);
                return ArmResults.Status(StatusCodes.Status200OK);
            }

            return ArmResults.Status(StatusCodes.Status202Accepted).WithHeaders(operations.LocationHeaders(job.CancelOperation!));
        });
    }

    static async Task<IResult> PutAsync(HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, string id,
        JobStore jobs, JobValidation validation, JobRunner runner, TimeProvider clock)
    {
        var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
        if (ResourceNames.Check(id, "job") is { } badName)
        {
            return ArmResults.Error(StatusCodes.Status400BadRequest, badName);
        }

        JsonObject body = RequestBody.Clone(await RequestBody.ReadObjectAsync(context.Request));
        if (jobs.Find(scope, id) is { } existing)
        {
            return ArmResults.Json(Resource(existing));
        }

        JsonObject properties = RequestBody.Properties(body);
        foreach (string field in ReadOnlyFields)
        {
            properties.Remove(field);
        }

        bool lowPriority = validation.Validate(scope, id, properties);
        var job = new EmulatedJob(scope, id, new JsonObject { ["properties"] = properties.DeepClone() }, lowPriority, clock.GetUtcNow());
        (EmulatedJob stored, bool created) = jobs.AddOrGet(job);
        if (!created)
        {
            return ArmResults.Json(Resource(stored)); // a concurrent PUT of the same id won the race
        }

        runner.Start(stored);
        return ArmResults.Json(Resource(stored), StatusCodes.Status201Created);
    }

    public static JsonObject Resource(EmulatedJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        JsonObject properties;
        lock (job.Gate)
        {
            properties = RequestBody.Clone(job.Properties);
            properties["status"] = job.Status;
        }

        return new JsonObject
        {
            ["id"] = job.Scope.ChildId($"jobs/{job.Name}"),
            ["name"] = job.Name,
            ["type"] = Type,
            ["properties"] = properties,
            ["systemData"] = SystemData.For(job.Created, job.Modified),
        };
    }
}
