using GenAiServerless.Local.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(c =>
{
    c.SetApplicationName("genai");
    c.SetExceptionHandler(CommandErrors.Handle);
    c.AddCommand<DemoCommand>("demo").WithDescription("Run the whole pipeline on this machine: drop a sample dataset, follow every stage, call the live endpoint.");
    c.AddCommand<CurateCommand>("curate").WithDescription("Run the Data stage alone on local files: curated shards, manifest, data card, quarantine under --out.");
    c.AddCommand<UpCommand>("up").WithDescription("Run the local stack (Azurite, durable engine, triggers, API, endpoints) until Ctrl+C.");
    c.AddCommand<DropCommand>("drop").WithDescription("Drop a data file for a model into the running stack.");
    c.AddCommand<StatusCommand>("status").WithDescription("Show a pipeline run, or the recent runs.");
    c.AddCommand<DeployCommand>("deploy").WithDescription("Roll out a registered model version to its endpoint.");
    c.AddCommand<CancelCommand>("cancel").WithDescription("Cancel a running pipeline and its training or evaluation job.");
    c.AddBranch("models", m =>
    {
        m.SetDescription("Browse the model registry and move aliases.");
        m.AddCommand<ModelsListCommand>("list").WithDescription("List the models, or one model's versions with their aliases, gate verdicts and signers.");
        m.AddCommand<ModelsShowCommand>("show").WithDescription("Show a version (number or alias): files with hashes, lineage, gate decision, aliases, signature (verified).");
        m.AddCommand<ModelsAliasCommand>("alias").WithDescription("Point an alias at a version (champion also moves previous); recorded with who and why.");
    });
    c.AddCommand<ApproveCommand>("approve").WithDescription("Approve (or --reject) a run waiting at the evaluation gate; you are the approver.");
    c.AddBranch("rollout", r =>
    {
        r.SetDescription("Command a run's rollout: pause it, resume it, or roll it back now.");
        r.AddCommand<RolloutPauseCommand>("pause").WithDescription("Hold the rollout's traffic where it is; the bake clock stops, the analysis goes on.");
        r.AddCommand<RolloutResumeCommand>("resume").WithDescription("Continue a paused rollout.");
        r.AddCommand<RolloutRollbackCommand>("rollback").WithDescription("Give all traffic back to the previous deployment now.");
    });
    c.AddCommand<TokenCommand>("token").WithDescription("Print a bearer token for the local API: genai token --role deployer [--name alice].");
});
return await app.RunAsync(args);
