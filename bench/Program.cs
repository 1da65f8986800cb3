using GenAiServerless.Bench;
using GenAiServerless.Bench.Curate;
using GenAiServerless.Bench.Etl;
using GenAiServerless.Bench.Rollout;
using GenAiServerless.Bench.Spot;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(c =>
{
    c.SetApplicationName("dotnet run -c Release --project bench --");
    c.AddCommand<SpotCommand>("spot").WithDescription("Monte-Carlo of a 4 h A100 job on spot: on-demand vs naive spot vs our checkpoint/restart-budget/deadline policy, per eviction band.");
    c.AddCommand<CurateCommand>("curate").WithDescription("Throughput of the per-shard curation step (ShardCurator) on a synthetic JSONL corpus, against reading and parsing each line.");
    c.AddCommand<EtlCommand>("etl").WithDescription("The Data stage on a corpus with planted exact/near duplicates of known Jaccard, PII and low-quality documents: near-dup and whole-stage MB/s per core against JSON parsing, docs/s, peak memory, precision and recall against the truth, identical outputs across runs and threads.");
    c.AddCommand<EtlStageCommand>("etl-stage").IsHidden();
    c.AddCommand<RolloutBenchCommand>("rollout").WithDescription("Progressive delivery on the local endpoint host under a bounded load: failed requests during a good rollout, failures and time to rollback of a bad one, and the router's added p99 over calling a deployment directly.");
    c.SetExceptionHandler(BenchOutput.HandleError);
});
return await app.RunAsync(args);
