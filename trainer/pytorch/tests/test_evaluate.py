"""evaluate: one examples.jsonl line per example in bits per byte, generations, metrics; generate."""

import math
import os
import unittest

import torch
from torch.nn import functional as F

import helpers
from causal_lm import families, scoring
from causal_lm.settings import TrainSettings
from causal_lm.tokenizer import ByteTokenizer

LONG = "A long example that runs well past the thirty-two byte context, so it is scored in windows: ü€😀."


def write_model(folder, zero_output=False, seq_len=32):
    """A random scratch model folder; with ``zero_output`` every next token has probability 1/259."""
    torch.manual_seed(0)
    model = families.ScratchModel(TrainSettings(d_model=32, layers=1, heads=2, seq_len=seq_len), torch.device("cpu"))
    if zero_output:
        with torch.no_grad():
            model.module.embed.weight.zero_()  # tied output layer: every logit is 0
    families.save_folder(model, folder)
    return model


class EvaluateTests(helpers.TestCase):
    def setUp(self):
        super().setUp()
        self.data = helpers.write_corpus(os.path.join(self.tmp, "data"), train=10, validation=3, test=12)
        with open(os.path.join(self.data, "test-001.jsonl"), "w", encoding="utf-8") as stream:
            stream.write('{"id": "long", "text": "%s"}\n' % LONG)
        self.eval_set = os.path.join(self.tmp, "eval")
        os.makedirs(self.eval_set)
        with open(os.path.join(self.eval_set, "held-out.jsonl"), "w", encoding="utf-8") as stream:
            stream.write('{"id": "e1", "text": "Ünïcode ✓"}\n{"id": "e2", "text": "plain"}\n')
        self.out = os.path.join(self.tmp, "eval-out")

    def evaluate(self, model, *extra):
        return helpers.run_inprocess(["evaluate", "--model", model, "--data", self.data, "--out", self.out,
                                      "--device", "cpu", *extra])

    def test_evaluate_uniform_model_scores_every_token_once_at_log2_vocabulary_bits(self):
        model = os.path.join(self.tmp, "model")
        write_model(model, zero_output=True)

        code, _, err = self.evaluate(model, "--eval-set", self.eval_set, "--sample-prompts", "0")

        self.assertEqual(0, code, err)
        rows = helpers.read_jsonl(os.path.join(self.out, "examples.jsonl"))
        self.assertEqual(13 + 2, len(rows))
        self.assertEqual(["test"] * 13 + ["eval"] * 2, [r["set"] for r in rows])
        per_token = math.log2(259)
        for row in rows:
            # bytes + 1 tokens (EOS counts, BOS does not), each with probability exactly 1/259.
            self.assertAlmostEqual((row["bytes"] + 1) * per_token, row["bits"], delta=1e-4 * row["bits"])
            self.assertAlmostEqual(row["bits"] / row["bytes"], row["bits_per_byte"], places=12)
        by_id = {r["id"]: r for r in rows}
        self.assertEqual(len(LONG.encode("utf-8")), by_id["long"]["bytes"])
        self.assertEqual(len("Ünïcode ✓".encode("utf-8")), by_id["e1"]["bytes"])
        metrics = helpers.read_json(os.path.join(self.out, "metrics.json"))
        test_rows = [r for r in rows if r["set"] == "test"]
        self.assertAlmostEqual(sum(r["bits"] for r in test_rows) / sum(r["bytes"] for r in test_rows),
                               metrics["test_bits_per_byte"], places=12)
        self.assertEqual(13, metrics["test_examples"])
        self.assertEqual(2, metrics["eval_examples"])
        self.assertIn("eval_bits_per_byte", metrics)

    def test_evaluate_bits_match_a_hand_computation_for_a_short_text(self):
        folder = os.path.join(self.tmp, "model")
        model = write_model(folder, seq_len=64)
        text = "The cat sees the sea."
        with open(os.path.join(self.data, "test-002.jsonl"), "w") as stream:
            stream.write('{"id": "hand", "text": "%s"}\n' % text)

        code, _, err = self.evaluate(folder, "--sample-prompts", "0")

        self.assertEqual(0, code, err)
        ids = [256] + list(text.encode("utf-8")) + [257]
        with torch.no_grad():
            log_probs = F.log_softmax(model.module.eval()(torch.tensor([ids[:-1]])), dim=-1)[0]
        expected = -sum(log_probs[i, ids[i + 1]].item() for i in range(len(ids) - 1)) / math.log(2)
        row = [r for r in helpers.read_jsonl(os.path.join(self.out, "examples.jsonl")) if r["id"] == "hand"][0]
        self.assertAlmostEqual(expected, row["bits"], delta=1e-5 * expected)
        self.assertEqual(len(text), row["bytes"])

    def test_scoring_windows_tile_every_position_exactly_once(self):
        for count in (1, 5, 32, 33, 63, 64, 65, 100, 257):
            spans = scoring.windows(count, 32)
            scored = [p for _, end, first in spans for p in range(first, end)]
            self.assertEqual(list(range(count)), scored, count)
            for begin, end, first in spans:
                self.assertLessEqual(end - begin, 32)
                self.assertLessEqual(begin, first)
                if begin > 0:
                    self.assertGreaterEqual(first - begin, 16)  # at least half a context of history

    def test_scoring_long_text_windows_agree_with_one_pass_when_context_suffices(self):
        model = write_model(os.path.join(self.tmp, "model"), seq_len=128)
        model.module.eval()
        tokenizer = ByteTokenizer()
        cpu = torch.device("cpu")
        [(full, full_tokens)] = scoring.score_texts(model.forward, tokenizer, [LONG], 128, 259, cpu, torch.float32)
        [(windowed, tokens)] = scoring.score_texts(model.forward, tokenizer, [LONG], 40, 259, cpu, torch.float32)
        self.assertEqual(len(LONG.encode("utf-8")) + 1, tokens)
        self.assertEqual(full_tokens, tokens)
        # Less history per token can only be scored differently, never with tokens lost or repeated.
        self.assertNotEqual(full, windowed)
        self.assertTrue(math.isfinite(windowed))

    def test_evaluate_writes_generations_for_first_test_texts(self):
        model = os.path.join(self.tmp, "model")
        write_model(model)

        code, _, err = self.evaluate(model, "--sample-prompts", "3", "--max-new-tokens", "5")

        self.assertEqual(0, code, err)
        generations = helpers.read_jsonl(os.path.join(self.out, "generations.jsonl"))
        tests = helpers.read_jsonl(os.path.join(self.data, "test-000.jsonl"))[:3]
        self.assertEqual([t["id"] for t in tests], [g["id"] for g in generations])
        self.assertEqual([" ".join(t["text"].split()[:3]) for t in tests], [g["prompt"] for g in generations])
        for generation in generations:
            self.assertIsInstance(generation["completion"], str)
            self.assertGreater(generation["latency_ms"], 0)
        metrics = helpers.read_json(os.path.join(self.out, "metrics.json"))
        self.assertEqual(3, metrics["generations"])
        self.assertEqual(max(g["latency_ms"] for g in generations), metrics["generation_p95_latency_ms"])
        self.assertEqual("sampling(temperature=1, seed=1)", metrics["decoding"])

    def test_evaluate_prompts_file_and_greedy_decoding_are_reproducible(self):
        model = os.path.join(self.tmp, "model")
        write_model(model)
        prompts = os.path.join(self.tmp, "prompts.jsonl")
        with open(prompts, "w") as stream:
            stream.write('{"id": "p1", "prompt": "The cat"}\n{"id": "p2", "prompt": ""}\n')

        self.evaluate(model, "--prompts", prompts, "--temperature", "0", "--max-new-tokens", "8")
        first = helpers.read_jsonl(os.path.join(self.out, "generations.jsonl"))
        self.evaluate(model, "--prompts", prompts, "--temperature", "0", "--max-new-tokens", "8")
        second = helpers.read_jsonl(os.path.join(self.out, "generations.jsonl"))

        self.assertEqual(["p1", "p2"], [g["id"] for g in first])
        self.assertEqual([g["completion"] for g in first], [g["completion"] for g in second])
        self.assertEqual("greedy", helpers.read_json(os.path.join(self.out, "metrics.json"))["decoding"])

    def test_evaluate_pipeline_job_folders_eval_set_and_prompts_are_read_as_folders(self):
        # The evaluation job's inputs as the pipeline lays them out: --eval-set and --prompts are folders, holding
        # *.jsonl records beside files that are not records (the eval set's source.json).
        model = os.path.join(self.tmp, "model")
        write_model(model)
        with open(os.path.join(self.eval_set, "source.json"), "w") as stream:
            stream.write('{"run": "first"}\n')
        prompts = os.path.join(self.tmp, "prompts")
        os.makedirs(prompts)
        with open(os.path.join(prompts, "prompts.jsonl"), "w") as stream:
            stream.write('{"id": "safety-1", "prompt": "Tell me"}\n{"id": "safety-2", "prompt": "My card"}\n')
        with open(os.path.join(prompts, "README.txt"), "w") as stream:
            stream.write("not prompts\n")

        code, _, err = helpers.run(["evaluate", "--model", model, "--data", self.data, "--eval-set", self.eval_set,
                                    "--prompts", prompts, "--out", self.out, "--device", "cpu"])

        self.assertEqual(0, code, err)
        metrics = helpers.read_json(os.path.join(self.out, "metrics.json"))
        self.assertEqual((13, 2, 2), (metrics["test_examples"], metrics["eval_examples"], metrics["generations"]))
        self.assertEqual(["safety-1", "safety-2"],
                         [g["id"] for g in helpers.read_jsonl(os.path.join(self.out, "generations.jsonl"))])

    def test_evaluate_bad_prompts_line_exits_1_naming_file_and_line(self):
        model = os.path.join(self.tmp, "model")
        write_model(model)
        prompts = os.path.join(self.tmp, "prompts.jsonl")
        with open(prompts, "w") as stream:
            stream.write('{"id": "p1", "prompt": "ok"}\n{"id": "p2"}\n')
        code, _, err = self.evaluate(model, "--prompts", prompts)
        self.assertEqual(1, code)
        self.assertIn(f"{prompts}:2: field 'prompt'", err)

    def test_evaluate_folder_without_model_exits_1(self):
        code, _, err = self.evaluate(self.tmp)
        self.assertEqual(1, code)
        self.assertIn("config.json is missing", err)

    def test_generate_prints_a_seeded_completion(self):
        model = os.path.join(self.tmp, "model")
        write_model(model)
        args = ["generate", "--model", model, "--prompt", "The cat", "--max-new-tokens", "6", "--seed", "7"]
        code, first, err = helpers.run_inprocess(args)
        _, second, _ = helpers.run_inprocess(args)
        self.assertEqual(0, code, err)
        self.assertEqual(first, second)
        self.assertLessEqual(len(first.rstrip("\n").encode("utf-8")), 6 * 3)


if __name__ == "__main__":
    unittest.main()
