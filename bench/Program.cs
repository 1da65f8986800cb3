using GenAiServerless.Bench;
using GenAiServerless.Bench.Curate;
using GenAiServerless.Bench.Etl;
using GenAiServerless.Bench.Spot;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(c =>
{
    c.SetApplicationName("dotnet run -c Release --project bench --");
    c.AddCommand<SpotCommand>("spot").WithDescription("Monte-Carlo of a 4 h A100 job on spot: on-demand vs naive spot vs our checkpoint/restart-budget/deadline policy, per eviction band.");
    c.AddCommand<CurateCommand>("curate").WithDescription("Throughput of RecordCurator.CurateFile on a synthetic JSONL corpus, against JsonDocument.Parse of each line.");
    c.AddCommand<EtlCommand>("etl").WithDescription("Near-duplicate removal (MinHash + LSH) on a corpus with planted duplicates of known Jaccard: MB/s per core against JSON parsing, precision and recall against the truth.");
    c.SetExceptionHandler(BenchOutput.HandleError);
});
return await app.RunAsync(args);
