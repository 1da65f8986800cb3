using System.ComponentModel.DataAnnotations;

namespace GenAiServerless.Training.Components;

/// <summary>A training component: how one model family trains and is evaluated under the job contract. Bound from
/// <c>Training:Components:{name}</c>; the shipped components (<see cref="TrainingComponents"/>) are there unless
/// configuration replaces them.</summary>
/// <remarks>Commands run in the components folder (locally) or the code asset (on Azure ML), which hold every shipped
/// component: <c>ngram/</c> (the n-gram trainer), <c>causal_lm/</c> (the PyTorch trainer) and <c>score.py</c>. The
/// placeholders <c>{data}</c>, <c>{out}</c>, <c>{checkpoints}</c>, <c>{model}</c>, <c>{evalset}</c> and <c>{prompts}</c> become
/// the job's folders; the run's hyperparameters are appended as <c>--key value</c>.</remarks>
public sealed class TrainingComponent
{
    /// <summary>The training command: reads <c>{data}</c>, writes <c>{out}</c>, checkpoints to <c>{checkpoints}</c>.</summary>
    [Required]
    public string TrainCommand { get; set; } = string.Empty;

    /// <summary>The evaluation command: scores <c>{model}</c> on the test split of <c>{data}</c> and the model's fixed set
    /// <c>{evalset}</c>, generates for the prompts in <c>{prompts}</c>, writes <c>{out}</c> (<c>metrics.json</c>,
    /// <c>examples.jsonl</c>, <c>generations.jsonl</c>).</summary>
    [Required]
    public string EvaluateCommand { get; set; } = string.Empty;

    /// <summary>The Azure ML environment the job runs in: a curated image's id (<c>azureml://registries/azureml/…</c>) or a
    /// registered environment version's.</summary>
    [Required]
    public string Environment { get; set; } = string.Empty;

    /// <summary>On Azure ML serverless compute, the VM size of this component's jobs instead of the compute selector's
    /// pick (a CPU size for a component that needs no GPU, say). Unset: the selector's. A cluster's own VM size wins.</summary>
    public string? InstanceType { get; set; }

    /// <summary>The Azure ML cluster of this component's spot attempts instead of <c>AzureMl:ComputeName</c>.</summary>
    public string? Compute { get; set; }

    /// <summary>The Azure ML cluster of this component's other attempts (the dedicated fallback) instead of
    /// <c>AzureMl:DedicatedComputeName</c>. Kept apart from <see cref="Compute"/> so that a low-priority cluster there
    /// never receives an attempt that must not be preempted.</summary>
    public string? DedicatedCompute { get; set; }
}

/// <summary>The components this repository ships.</summary>
public static class TrainingComponents
{
    /// <summary>The word-level n-gram trainer (<c>trainer/</c>, C#): fast, the demo's and most tests' model family. On
    /// Azure ML it runs as the self-contained Linux build in the code asset, so the curated image needs no .NET.</summary>
    public const string NGram = "ngram";

    /// <summary>The PyTorch causal-LM trainer (<c>trainer/pytorch/</c>): a small transformer from scratch, or LoRA
    /// adapters on a pretrained model; the curated PyTorch image provides torch, transformers and peft.</summary>
    public const string CausalLm = "causal-lm";

    /// <summary>Azure ML's curated PyTorch image (CUDA), which both shipped components run on.</summary>
    public const string CuratedPyTorch = "azureml://registries/azureml/environments/acpt-pytorch-2.2-cuda12.1/labels/latest";

    /// <summary>The shipped components, by name.</summary>
    public static IReadOnlyDictionary<string, TrainingComponent> BuiltIn { get; } = new Dictionary<string, TrainingComponent>(StringComparer.Ordinal)
    {
        [NGram] = new()
        {
            TrainCommand = "sh ngram/genai-trainer.sh train --data {data} --out {out} --checkpoints {checkpoints}",
            EvaluateCommand = "sh ngram/genai-trainer.sh evaluate --model {model} --data {data} --eval-set {evalset} --prompts {prompts} --out {out}",
            Environment = CuratedPyTorch,
        },
        [CausalLm] = new()
        {
            TrainCommand = "python -m causal_lm train --data {data} --out {out} --checkpoints {checkpoints}",
            EvaluateCommand = "python -m causal_lm evaluate --model {model} --data {data} --eval-set {evalset} --prompts {prompts} --out {out}",
            Environment = CuratedPyTorch,
        },
    };
}

/// <summary>One model's training: its component and the hyperparameters passed to it. Bound from
/// <c>Training:Models:{model}</c>.</summary>
public sealed class ModelTrainingOptions
{
    /// <summary>The component that trains the model; <see cref="TrainingComponents.NGram"/> when unset.</summary>
    public string? Component { get; set; }

    /// <summary>Passed as <c>--key value</c>, over <c>Training:Hyperparameters</c>. Empty by default (a bound
    /// dictionary keeps its default keys).</summary>
    public Dictionary<string, string> Hyperparameters { get; set; } = [];
}
