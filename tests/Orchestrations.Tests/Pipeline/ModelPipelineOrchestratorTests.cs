using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using GenAiServerless.Data;
using GenAiServerless.Evaluation;
using GenAiServerless.Pipeline;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using GenAiServerless.Training;
using GenAiServerless.Training.Prices;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;

namespace GenAiServerless.Tests.Orchestrations.Pipeline;

/// <summary>The pipeline's decisions on the in-memory engine: the stage work (storage, jobs, endpoints) is stood in
/// for by activities and sub-orchestrations of the same names; the gate is the real one. The whole chain with the
/// real activities runs in Local.Tests on Azurite.</summary>
public sealed class ModelPipelineOrchestratorTests
{
    static readonly GpuOffer Offer = new("Standard_NC4as_T4_v3", "eastus", "T4", 1, 16, true, 0.10m, 0.0001, "0-5", "test", "2026-11-01");

    static EvaluationPolicy Gate(bool approval = false, double maxBitsPerByte = 3) =>
        new(maxBitsPerByte, 0.05, 0, null, PromotionRule.NotWorse, 0.01, 0.95, 200, approval, TimeSpan.FromMinutes(5));

    static PipelineRequest Request(bool approval = false, double maxBitsPerByte = 3) => new(
        "shop",
        PipelineTrigger.DataDrop,
        [new DropBlob("shop/a.jsonl", "\"0x1\"", 100)],
        new DataPolicy(0.1, 0.1, 1000, 100),
        new TrainingPolicy(
            new ComputeRequirements("T4", 16, 1, [], TimeSpan.FromHours(1), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(5), null, 10m, true),
            new Dictionary<string, string>(), 2, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100)),
        Gate(approval, maxBitsPerByte),
        new RolloutPolicy([100], TimeSpan.Zero, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200), "hi"),
        "test");

    sealed class Calls
    {
        public ConcurrentQueue<string> Names { get; } = new();

        public int TrainRecords { get; set; } = 80;

        public double TestBitsPerByte { get; set; } = 2.5;

        /// <summary>The champion the registry returns, if any.</summary>
        public ModelVersionInfo? Champion { get; set; }

        /// <summary>What the gate was asked to judge.</summary>
        public GateInput? Judged { get; set; }

        /// <summary>How many claims find the model busy before one succeeds.</summary>
        public int BusyClaims { get; set; }

        /// <summary>What the registration was given.</summary>
        public ModelRegistration? Registered { get; set; }

        /// <summary>What verification before the rollout answers; null: verified.</summary>
        public string? VerificationProblem { get; set; }
    }

    static void StandIns(DurableTaskRegistry r, Calls calls)
    {
        r.AddOrchestrator<ModelPipelineOrchestrator>()
            .AddActivityFunc<EvaluationSetRequest, EvaluationSet>(nameof(PrepareEvaluationSet), (_, req) =>
            {
                calls.Names.Enqueue(nameof(PrepareEvaluationSet));
                return new EvaluationSet($"curated/{req.Model}/_evalset/", $"curated/{req.Model}/_prompts/{req.RunId}/", 40, 20, "test");
            })
            .AddActivityFunc<GateInput, GateDecision>(nameof(JudgeChallenger), (_, input) =>
            {
                // The real rules on figures the stand-in evaluation "wrote".
                calls.Judged = input;
                var scores = new ModelScores(calls.TestBitsPerByte, 2.4, 50, 5000, 10, 20);
                return GateRules.Decide(new GateEvidence(scores, new SafetyResult(20, 0, 0, 0, []), input.Champion?.Version, null, null, input.Champion is null ? null : "stand-in"), input.Policy);
            })
            .AddActivityFunc<SlotClaim, SlotState>(nameof(ClaimModelSlot), (_, claim) =>
            {
                calls.Names.Enqueue(nameof(ClaimModelSlot));
                return calls.BusyClaims-- > 0 ? new SlotState(false, "shop-drop-earlier") : new SlotState(true, claim.RunId);
            })
            .AddActivityFunc<SlotClaim, SlotRelease>(nameof(ReleaseModelSlot), (_, _) =>
            {
                calls.Names.Enqueue(nameof(ReleaseModelSlot));
                return new SlotRelease(null);
            })
            .AddOrchestratorFunc<DataPrepInput, DataPrepResult>(nameof(DataPrepOrchestrator), (_, input) =>
            {
                calls.Names.Enqueue(nameof(DataPrepOrchestrator));
                return new DataPrepResult($"curated/{input.Model}/{input.RunId}/", "curated/m.json", "abc", 100, calls.TrainRecords, 3, 2, calls.TrainRecords, 10, 10, [], new Dictionary<string, long>());
            })
            .AddActivityFunc<ComputeRequirements, TrainingCompute>(nameof(SelectTrainingCompute), (_, _) =>
                new TrainingCompute(Offer, 0.50m, new ComputeChoice(Offer, 0.1m, TimeSpan.FromHours(1), [], "cheapest")))
            .AddOrchestratorFunc<JobRunRequest, JobOutcome>(nameof(JobRunOrchestrator), (_, input) =>
            {
                calls.Names.Enqueue($"{nameof(JobRunOrchestrator)}:{input.Kind}{(input.JobIdPrefix.EndsWith("-champion", StringComparison.Ordinal) ? ":champion" : string.Empty)}");
                var metrics = input.Kind == JobKind.Train
                    ? new Dictionary<string, double> { ["validation_perplexity"] = 18 }
                    : new Dictionary<string, double> { ["test_bits_per_byte"] = calls.TestBitsPerByte };
                return new JobOutcome($"{input.JobIdPrefix}-a1", 1, 0, $"models/jobs/{input.JobIdPrefix}-a1/", metrics, [], 0.01m, 0.05m);
            })
            .AddActivityFunc<ModelVersionQuery, ModelVersionInfo?>(nameof(GetModelVersion), (_, _) => calls.Champion)
            .AddActivityFunc<ModelVersionCheck, VersionVerification>(nameof(VerifyModelVersion), (_, check) =>
            {
                calls.Names.Enqueue(nameof(VerifyModelVersion));
                return calls.VerificationProblem is { } problem
                    ? new VersionVerification(false, $"refused {check.Model} v{check.Version}: {problem}", [problem], "local/manifest-signing/k1")
                    : new VersionVerification(true, "verified", [], "local/manifest-signing/k1");
            })
            .AddActivityFunc<ModelRegistration, ModelVersionInfo>(nameof(RegisterModelVersion), (_, reg) =>
            {
                calls.Registered = reg;
                calls.Names.Enqueue(nameof(RegisterModelVersion));
                return new ModelVersionInfo(reg.Model, 1, "registry/shop/runs/x/files/", reg.RunId, reg.JobId, reg.DataManifestBlob, reg.DataManifestSha256, reg.Metrics, DateTime.UnixEpoch);
            })
            .AddActivityFunc<AliasAssignment, bool>(nameof(SetModelAlias), (_, a) =>
            {
                calls.Names.Enqueue($"{nameof(SetModelAlias)}:{a.Alias}");
                return true;
            })
            .AddOrchestratorFunc<RolloutRequest, RolloutResult>(nameof(RolloutOrchestrator), (_, input) =>
            {
                calls.Names.Enqueue(nameof(RolloutOrchestrator));
                return new RolloutResult(true, "v1-abc", null, ["traffic v1-abc 100%"], "hello", "rolled out");
            });
    }

    static async Task<(DurableTaskTestHost Host, string Id)> StartAsync(Calls calls, PipelineRequest request)
    {
        DurableTaskTestHost host = await DurableTaskTestHost.StartAsync(r => StandIns(r, calls), new DurableTaskTestHostOptions { Port = FreePort() });
        string id = $"shop-drop-{Guid.NewGuid():N}";
        await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ModelPipelineOrchestrator), request, new StartOrchestrationOptions(id));
        return (host, id);
    }

    static async Task<PipelineResult> EndAsync(DurableTaskTestHost host, string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        OrchestrationMetadata run = await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        return run.ReadOutputAs<PipelineResult>()!;
    }

    [Fact]
    public async Task RunAsync_AllStagesPass_RegistersChallengerThenRollsOut()
    {
        var calls = new Calls();
        (DurableTaskTestHost host, string id) = await StartAsync(calls, Request());
        await using (host)
        {
            PipelineResult result = await EndAsync(host, id);

            Assert.True(result.Succeeded, result.Summary);
            Assert.All(result.Stages, s => Assert.Equal(StageState.Succeeded, s.State));
            Assert.Equal(
                [nameof(ClaimModelSlot), nameof(DataPrepOrchestrator), "JobRunOrchestrator:Train", nameof(PrepareEvaluationSet), "JobRunOrchestrator:Evaluate", nameof(RegisterModelVersion),
                    "SetModelAlias:challenger", nameof(VerifyModelVersion), nameof(RolloutOrchestrator), nameof(ReleaseModelSlot)],
                calls.Names);
            Assert.Equal(2.5, result.Version!.Metrics["test_bits_per_byte"]);
            Assert.Equal(GateRules.Promote, result.Gate!.Verdict);
            Assert.Null(calls.Judged!.Champion);
            Assert.Equal(18, result.Version.Metrics["validation_perplexity"]);

            // The version's lineage: the evaluation job, the trainer, its compute, and the gate's decision record.
            ModelLineage lineage = calls.Registered!.Lineage!;
            Assert.Equal($"{id}-eval-a1", lineage.EvaluationJobId);
            Assert.Null(lineage.ComparedWithVersion);
            Assert.Equal("Standard_NC4as_T4_v3 in eastus (spot)", lineage.Compute);
            Assert.Equal(result.Gate.Verdict, lineage.GateVerdict);
            GateDecision stored = lineage.Gate!.Value.Deserialize<GateDecision>(JsonSerializerOptions.Web)!;
            Assert.Equal(result.Gate.Reasons, stored.Reasons);
            Assert.Equal(result.Gate.Challenger, stored.Challenger);
        }
    }

    [Fact]
    public async Task RunAsync_VerificationRefusesTheVersion_DoesNotRollOutAndSaysWhy()
    {
        var calls = new Calls { VerificationProblem = "file model.json changed: SHA-256 aa, manifest bb" };
        (DurableTaskTestHost host, string id) = await StartAsync(calls, Request());
        await using (host)
        {
            PipelineResult result = await EndAsync(host, id);

            Assert.False(result.Succeeded);
            Assert.Equal(StageState.Failed, result.Stages.Single(s => s.Stage == PipelineStage.Rollout).State);
            Assert.Contains("file model.json changed", result.Summary, StringComparison.Ordinal);
            Assert.DoesNotContain(nameof(RolloutOrchestrator), calls.Names);
            Assert.DoesNotContain("SetModelAlias:champion", calls.Names);
        }
    }

    [Fact]
    public async Task RunAsync_GateFails_StopsBeforeRegistryAndSaysWhy()
    {
        var calls = new Calls { TestBitsPerByte = 5 };
        (DurableTaskTestHost host, string id) = await StartAsync(calls, Request(maxBitsPerByte: 3));
        await using (host)
        {
            PipelineResult result = await EndAsync(host, id);

            Assert.False(result.Succeeded);
            Assert.Equal(StageState.Failed, result.Stages.Single(s => s.Stage == PipelineStage.Evaluation).State);
            Assert.Contains("test 5 bits/byte is above the threshold 3", result.Summary, StringComparison.Ordinal);
            Assert.Equal(GateRules.Reject, result.Gate!.Verdict);
            Assert.Equal([StageState.Skipped, StageState.Skipped], result.Stages.Where(s => s.Stage is PipelineStage.Registry or PipelineStage.Rollout).Select(s => s.State));
            Assert.DoesNotContain(nameof(RegisterModelVersion), calls.Names);
        }
    }

    [Fact]
    public async Task RunAsync_ChampionExists_ScoresItOnTheSameExamplesBeforeTheGate()
    {
        var calls = new Calls
        {
            Champion = new ModelVersionInfo("shop", 4, "registry/shop/runs/r4/files/", "r4", "r4-train-a1", "curated/shop/r4/manifest.json", "00", new Dictionary<string, double>(), DateTime.UnixEpoch),
        };
        (DurableTaskTestHost host, string id) = await StartAsync(calls, Request());
        await using (host)
        {
            PipelineResult result = await EndAsync(host, id);

            Assert.True(result.Succeeded, result.Summary);
            Assert.Equal(
                ["JobRunOrchestrator:Train", nameof(PrepareEvaluationSet), "JobRunOrchestrator:Evaluate", "JobRunOrchestrator:Evaluate:champion", nameof(RegisterModelVersion)],
                calls.Names.Where(n => n.StartsWith("JobRun", StringComparison.Ordinal) || n is nameof(PrepareEvaluationSet) or nameof(RegisterModelVersion)));
            Assert.Equal(new ChampionEvaluation(4, $"models/jobs/{id}-eval-champion-a1/", null), calls.Judged!.Champion);
            Assert.Equal($"models/jobs/{id}-eval-a1/", calls.Judged.ChallengerOutputPrefix);
            Assert.Equal(4, result.Gate!.ChampionVersion);
        }
    }

    [Fact]
    public async Task RunAsync_NoTrainableRecords_FailsDataStageWithCounts()
    {
        var calls = new Calls { TrainRecords = 0 };
        (DurableTaskTestHost host, string id) = await StartAsync(calls, Request());
        await using (host)
        {
            PipelineResult result = await EndAsync(host, id);

            Assert.False(result.Succeeded);
            Assert.Contains("no trainable records", result.Summary, StringComparison.Ordinal);
            Assert.Equal([nameof(ClaimModelSlot), nameof(DataPrepOrchestrator), nameof(ReleaseModelSlot)], calls.Names);
        }
    }

    [Fact]
    public async Task RunAsync_ModelBusy_WaitsInLineUntilTheSlotIsHandedOverThenRuns()
    {
        var calls = new Calls { BusyClaims = 1 };
        (DurableTaskTestHost host, string id) = await StartAsync(calls, Request());
        await using (host)
        {
            // The run waits in line; the holder's release hands it the slot and wakes it.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (!calls.Names.Contains(nameof(ClaimModelSlot)))
            {
                await Task.Delay(50, timeout.Token);
            }

            await Task.Delay(300, timeout.Token);
            Assert.DoesNotContain(nameof(DataPrepOrchestrator), calls.Names);
            await host.Client.RaiseEventAsync(id, ModelSlotClaims.GrantedEvent, "shop", timeout.Token);
            PipelineResult result = await EndAsync(host, id);

            Assert.True(result.Succeeded, result.Summary);
            Assert.Equal(2, calls.Names.Count(n => n == nameof(ClaimModelSlot)));
            Assert.Equal(nameof(DataPrepOrchestrator), calls.Names.SkipWhile(n => n == nameof(ClaimModelSlot)).First());
            Assert.Equal(nameof(ReleaseModelSlot), calls.Names.Last());
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RunAsync_ApprovalRequired_WaitsForTheDecision(bool approved)
    {
        var calls = new Calls();
        (DurableTaskTestHost host, string id) = await StartAsync(calls, Request(approval: true));
        await using (host)
        {
            // The run waits at the gate until the decision arrives.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (!calls.Names.Contains("JobRunOrchestrator:Evaluate"))
            {
                await Task.Delay(100, timeout.Token);
            }

            await Task.Delay(500, timeout.Token);
            Assert.DoesNotContain(nameof(RegisterModelVersion), calls.Names);
            await host.Client.RaiseEventAsync(id, ModelPipelineOrchestrator.ApprovalEvent, new ApprovalDecision(approved, "ops-lead", "looks fine"), timeout.Token);
            PipelineResult result = await EndAsync(host, id);

            Assert.Equal(approved, result.Succeeded);
            Assert.Equal(approved, calls.Names.Contains(nameof(RegisterModelVersion)));
            Assert.Equal("ops-lead", result.Gate!.Approver);
            if (!approved)
            {
                Assert.Contains("rejected by ops-lead: looks fine", result.Summary, StringComparison.Ordinal);
            }
        }
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
