"""The command line: ``train``, ``evaluate``, ``generate``, ``serve``. Exit 0 done, 1 bad data/model/environment
(stderr names the file and line), 2 bad command line, 3 fenced (a later attempt of the job, GENAI_JOB_ATTEMPT, owns
--checkpoints), 143 stopped by SIGTERM after a checkpoint."""

import argparse
import sys

from .errors import FencedError, JobError, UsageError
from .settings import TrainSettings

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_FENCED = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # argparse would print usage and exit(2) itself; raising keeps main() callable in-process.
        raise UsageError(f"{self.prog}: {message}")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        options = _parser().parse_args(argv)
        if options.command == "train":
            from . import train
            return train.run(_train_settings(options), options.data, options.out, options.checkpoints, log=_log)
        if options.command == "evaluate":
            from . import evaluate
            return evaluate.run(options, log=_log)
        if options.command == "serve":
            from . import serve
            return serve.run(options, sys.stdin, sys.stdout)
        from . import inference, sampling
        model = inference.load(options.model, options.device)
        completion, _ = sampling.complete(model, options.prompt, options.max_new_tokens, options.temperature, options.seed)
        print(completion, flush=True)
        return EXIT_OK
    except UsageError as error:
        print(f"causal_lm: {error} (see python3 -m causal_lm --help)", file=sys.stderr, flush=True)
        return EXIT_USAGE
    except JobError as error:
        print(f"causal_lm: error: {error}", file=sys.stderr, flush=True)
        return EXIT_FAILED
    except FencedError as error:
        print(f"causal_lm: fenced: {error}", file=sys.stderr, flush=True)
        return EXIT_FENCED


def _log(message):
    print(message, flush=True)


def _parser():
    parser = _Parser(prog="causal_lm", description="Trains, evaluates and samples causal language models.",
                     allow_abbrev=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="{train,evaluate,generate,serve}")
    defaults = TrainSettings()

    train = commands.add_parser("train", allow_abbrev=False, help="train a model; resume from --checkpoints")
    train.add_argument("--data", required=True, type=_text)
    train.add_argument("--out", required=True, type=_text)
    train.add_argument("--checkpoints", required=True, type=_text)
    train.add_argument("--mode", choices=("scratch", "lora"), default=defaults.mode)
    train.add_argument("--base-model", type=_text, help="lora: a Hugging Face name or folder, or a scratch model folder")
    train.add_argument("--d-model", type=_positive_int, default=defaults.d_model)
    train.add_argument("--layers", type=_positive_int, default=defaults.layers)
    train.add_argument("--heads", type=_positive_int, default=defaults.heads)
    train.add_argument("--seq-len", type=_positive_int, default=defaults.seq_len)
    train.add_argument("--dropout", type=_probability, default=defaults.dropout)
    train.add_argument("--lora-r", type=_positive_int, default=defaults.lora_r)
    train.add_argument("--lora-alpha", type=_positive_float, default=defaults.lora_alpha)
    train.add_argument("--lora-dropout", type=_probability, default=defaults.lora_dropout)
    train.add_argument("--lora-targets", type=_names, help="comma-separated layer names (default: per base model)")
    train.add_argument("--steps", type=_positive_int, default=defaults.steps)
    train.add_argument("--batch-size", type=_positive_int, default=defaults.batch_size)
    train.add_argument("--lr", type=_positive_float, help="default 3e-3 (scratch) or 2e-4 (lora)")
    train.add_argument("--warmup-steps", type=_non_negative_int, default=defaults.warmup_steps)
    train.add_argument("--weight-decay", type=_non_negative_float, default=defaults.weight_decay)
    train.add_argument("--grad-clip", type=_non_negative_float, default=defaults.grad_clip, help="0 turns clipping off")
    train.add_argument("--checkpoint-every", type=_positive_int, default=defaults.checkpoint_every)
    train.add_argument("--seed", type=int, default=defaults.seed)
    train.add_argument("--step-delay-ms", type=_non_negative_int, default=defaults.step_delay_ms)
    train.add_argument("--device", choices=("auto", "cpu", "cuda"), default=defaults.device)

    evaluate = commands.add_parser("evaluate", allow_abbrev=False, help="score test examples, sample completions")
    evaluate.add_argument("--model", required=True, type=_text)
    evaluate.add_argument("--data", required=True, type=_text)
    evaluate.add_argument("--out", required=True, type=_text)
    evaluate.add_argument("--eval-set", type=_text)
    evaluate.add_argument("--prompts", type=_text, help='JSONL of {"id", "prompt"}')
    evaluate.add_argument("--max-new-tokens", type=_non_negative_int, default=32)
    evaluate.add_argument("--seed", type=int, default=1)
    evaluate.add_argument("--sample-prompts", type=_non_negative_int, default=8)
    evaluate.add_argument("--temperature", type=_non_negative_float, default=1.0, help="0 = greedy")
    evaluate.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")

    generate = commands.add_parser("generate", allow_abbrev=False, help="print a completion of --prompt")
    generate.add_argument("--model", required=True, type=_text)
    generate.add_argument("--prompt", required=True)
    generate.add_argument("--max-new-tokens", type=_non_negative_int, default=32)
    generate.add_argument("--seed", type=int, default=1)
    generate.add_argument("--temperature", type=_non_negative_float, default=1.0, help="0 = greedy")
    generate.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")

    serve = commands.add_parser("serve", allow_abbrev=False,
                                help="keep --model loaded; complete one JSON request per stdin line")
    serve.add_argument("--model", required=True, type=_text)
    serve.add_argument("--max-new-tokens", type=_non_negative_int, default=24, help="when a request names none")
    serve.add_argument("--temperature", type=_positive_float, default=0.8, help="when a request names none")
    serve.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    return parser


def _train_settings(options):
    if options.mode == "lora" and not options.base_model:
        raise UsageError("train: --mode lora needs --base-model")
    if options.mode == "scratch" and options.base_model:
        raise UsageError("train: --base-model is only for --mode lora")
    if options.d_model % options.heads:
        raise UsageError(f"train: --d-model {options.d_model} is not a multiple of --heads {options.heads}")
    return TrainSettings(
        mode=options.mode, base_model=options.base_model,
        d_model=options.d_model, layers=options.layers, heads=options.heads, seq_len=options.seq_len,
        dropout=options.dropout,
        lora_r=options.lora_r, lora_alpha=options.lora_alpha, lora_dropout=options.lora_dropout,
        lora_targets=options.lora_targets,
        steps=options.steps, batch_size=options.batch_size, lr=options.lr, warmup_steps=options.warmup_steps,
        weight_decay=options.weight_decay, grad_clip=options.grad_clip, seed=options.seed,
        checkpoint_every=options.checkpoint_every, step_delay_ms=options.step_delay_ms, device=options.device)


def _number(kind, text, check, wanted):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {wanted}, got '{text}'") from None
    if not check(value):
        raise argparse.ArgumentTypeError(f"expected {wanted}, got '{text}'")
    return value


def _positive_int(text):
    return _number(int, text, lambda v: v > 0, "an integer > 0")


def _non_negative_int(text):
    return _number(int, text, lambda v: v >= 0, "an integer >= 0")


def _positive_float(text):
    return _number(float, text, lambda v: v > 0 and v != float("inf"), "a finite number > 0")


def _non_negative_float(text):
    return _number(float, text, lambda v: 0 <= v < float("inf"), "a finite number >= 0")


def _probability(text):
    return _number(float, text, lambda v: 0 <= v < 1, "a number in [0, 1)")


def _text(text):
    if not text:
        raise argparse.ArgumentTypeError("expected a non-empty value")
    return text


def _names(text):
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer names, got '{text}'")
    return names
