"""serve: one model loaded, one JSON request per line in, one JSON answer per line out (the local endpoint host's way
of running a causal_lm model)."""

import json
import os
import subprocess
import sys
import unittest

import helpers
from causal_lm import inference, sampling
from test_evaluate import write_model


class ServeTests(helpers.TestCase):
    def setUp(self):
        super().setUp()
        self.model = os.path.join(self.tmp, "model")
        write_model(self.model)

    def serve(self, lines, *more):
        process = subprocess.Popen([sys.executable, "-m", "causal_lm", "serve", "--model", self.model, "--device", "cpu",
                                    *more], cwd=helpers.PACKAGE_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        out, err = process.communicate("".join(line + "\n" for line in lines), timeout=120)
        return process.returncode, [json.loads(line) for line in out.splitlines()], err

    def test_serve_answers_each_request_as_sampling_does_in_process(self):
        request = {"prompt": "The cat", "maxTokens": 12, "seed": 5, "temperature": 0.7}
        code, answers, err = self.serve([json.dumps(request), "", json.dumps(request)])

        self.assertEqual(0, code, err)
        self.assertEqual({"ready": True, "family": "scratch", "context": 32, "device": "cpu"}, answers[0])
        self.assertEqual(3, len(answers), "a blank line gets no answer")
        expected, _ = sampling.complete(inference.load(self.model, "cpu"), "The cat", 12, 0.7, 5)
        self.assertEqual(expected, answers[1]["completion"])
        self.assertEqual(expected, answers[2]["completion"], "the same seed gives the same completion")
        self.assertGreaterEqual(answers[1]["latency_ms"], 0)

    def test_serve_bad_requests_get_an_error_line_and_serving_goes_on(self):
        code, answers, err = self.serve([
            "{not json", "[1, 2]", json.dumps({"prompt": "  "}), json.dumps({"maxTokens": 3}),
            json.dumps({"prompt": "a", "maxTokens": "many"}), json.dumps({"prompt": "a", "temperature": "hot"}),
            json.dumps({"prompt": "The dog", "maxTokens": 0, "seed": 1})])

        self.assertEqual(0, code, err)
        errors = [a.get("error", "") for a in answers[1:-1]]
        self.assertTrue(errors[0].startswith("not a valid request:"), errors[0])
        self.assertEqual("not a valid request: expected a JSON object", errors[1])
        self.assertEqual(["field 'prompt' is missing or empty"] * 2, errors[2:4])
        self.assertEqual("field 'maxTokens' must be an integer", errors[4])
        self.assertEqual("field 'temperature' must be a number", errors[5])
        self.assertEqual("", answers[-1]["completion"], "maxTokens 0 generates nothing")

    def test_serve_defaults_apply_when_a_request_names_none(self):
        code, answers, err = self.serve([json.dumps({"prompt": "The", "seed": 3})], "--max-new-tokens", "5",
                                        "--temperature", "0.5")

        self.assertEqual(0, code, err)
        expected, _ = sampling.complete(inference.load(self.model, "cpu"), "The", 5, 0.5, 3)
        self.assertEqual(expected, answers[1]["completion"])

    def test_serve_text_request_answers_the_bits_evaluate_writes_for_it(self):
        data = helpers.write_corpus(os.path.join(self.tmp, "data"), train=2, validation=1, test=2)
        eval_set = os.path.join(self.tmp, "eval")
        os.makedirs(eval_set)
        # Longer than the 32-token context, so it is scored in windows both ways.
        text = "Ünïcode ✓ and a text well past the thirty-two byte context of the model."
        with open(os.path.join(eval_set, "e.jsonl"), "w", encoding="utf-8") as stream:
            stream.write(json.dumps({"id": "e1", "text": text}) + "\n")
        out = os.path.join(self.tmp, "out")
        code, _, err = helpers.run_inprocess(["evaluate", "--model", self.model, "--data", data, "--out", out,
                                              "--device", "cpu", "--eval-set", eval_set, "--sample-prompts", "0"])
        self.assertEqual(0, code, err)
        row = [r for r in helpers.read_jsonl(os.path.join(out, "examples.jsonl")) if r["id"] == "e1"][0]

        code, answers, err = self.serve([json.dumps({"text": text}), json.dumps({"text": 3})])

        self.assertEqual(0, code, err)
        self.assertEqual(row["bytes"], answers[1]["bytes"])
        self.assertAlmostEqual(row["bits"], answers[1]["bits"], delta=1e-6 * row["bits"])
        self.assertEqual("field 'text' must be a string", answers[2]["error"])

    def test_serve_missing_model_exits_1_naming_the_folder(self):
        missing = os.path.join(self.tmp, "nothing")
        code, out, err = helpers.run(["serve", "--model", missing])

        self.assertEqual(1, code)
        self.assertEqual("", out)
        self.assertIn(missing, err)


if __name__ == "__main__":
    unittest.main()
