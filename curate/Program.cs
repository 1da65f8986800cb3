using GenAiServerless.Curate;

// genai-curate <file-or-folder> --model m --out dir [--json] [--threads N] [--shard-mb MB] [--quality P] [--parquet]
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
return await CurateProgram.RunAsync(args, Console.Out, Console.Error, cancel.Token);
