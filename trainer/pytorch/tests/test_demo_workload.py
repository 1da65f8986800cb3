"""The demo's workload: train (default settings) then evaluate on ~3 000 short sentences, as real processes.

Its time is printed, not asserted: speed lives in benchmarks (`demo --family transformer` is measured in the README),
a timed test would fail on a busy machine."""

import os
import sys
import time
import unittest

import helpers

class DemoTimingTests(helpers.TestCase):
    def test_default_train_then_evaluate_on_3000_sentences_learns_and_scores_every_example(self):
        data = helpers.write_corpus(os.path.join(self.tmp, "data"), train=2400, validation=300, test=300, seed=7)
        sizes = [len(e["text"]) for e in helpers.read_jsonl(os.path.join(data, "test-000.jsonl"))]
        out, checkpoints, evaluation = (os.path.join(self.tmp, n) for n in ("model", "ck", "eval"))

        started = time.perf_counter()
        code, _, err = helpers.run(["train", "--data", data, "--out", out, "--checkpoints", checkpoints], timeout=300)
        trained = time.perf_counter()
        self.assertEqual(0, code, err)
        code, _, err = helpers.run(["evaluate", "--model", out, "--data", data, "--out", evaluation], timeout=300)
        evaluated = time.perf_counter()
        self.assertEqual(0, code, err)

        train_metrics = helpers.read_json(os.path.join(out, "metrics.json"))
        eval_metrics = helpers.read_json(os.path.join(evaluation, "metrics.json"))
        print(f"  demo: {sum(sizes) / len(sizes):.0f} bytes/sentence; train {trained - started:.1f} s "
              f"(validation {train_metrics['validation_bits_per_byte']:.3f} bits/byte, {train_metrics['steps']} steps), "
              f"evaluate {evaluated - trained:.1f} s (test {eval_metrics['test_bits_per_byte']:.3f} bits/byte, "
              f"p95 generation {eval_metrics['generation_p95_latency_ms']:.0f} ms); total {evaluated - started:.1f} s",
              file=sys.stderr)
        self.assertEqual(300, len(helpers.read_jsonl(os.path.join(evaluation, "examples.jsonl"))))
        self.assertEqual(8, eval_metrics["generations"])
        self.assertLess(train_metrics["validation_bits_per_byte"], 3.0, "the model should have learnt something")


if __name__ == "__main__":
    unittest.main()
