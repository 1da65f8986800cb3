"""Exit codes of the job contract: 1 for bad data naming file:line, 2 for a bad command line."""

import json
import os
import unittest

import helpers


class DataErrorTests(helpers.TestCase):
    def setUp(self):
        super().setUp()
        self.data = helpers.write_corpus(os.path.join(self.tmp, "data"), train=20, validation=4, test=4)

    def train(self, *extra):
        return helpers.run_inprocess(["train", "--data", self.data, "--out", os.path.join(self.tmp, "out"),
                                      "--checkpoints", os.path.join(self.tmp, "ck"), "--steps", "2", *helpers.TINY, *extra])

    def append(self, name, raw):
        with open(os.path.join(self.data, name), "ab") as stream:
            stream.write(raw)

    def assertFailsAt(self, where, reason):
        code, _, err = self.train()
        self.assertEqual(1, code, err)
        self.assertIn(os.path.join(self.data, where), err)
        self.assertIn(reason, err)
        self.assertEqual(1, len(err.strip().splitlines()), err)

    def test_train_malformed_json_line_exits_1_naming_file_and_line(self):
        self.append("train-001.jsonl", b'{"id": "x", "text": "cut short\n')
        self.assertFailsAt("train-001.jsonl:11", "malformed JSON")

    def test_train_line_without_string_text_exits_1_naming_field(self):
        self.append("validation-000.jsonl", b'{"id": "x", "text": 42}\n')
        self.assertFailsAt("validation-000.jsonl:5", "field 'text'")

    def test_train_line_without_id_exits_1_naming_field(self):
        self.append("train-000.jsonl", b'{"text": "no id"}\n')
        self.assertFailsAt("train-000.jsonl:11", "field 'id'")

    def test_train_line_that_is_not_an_object_exits_1(self):
        self.append("train-000.jsonl", b'["id", "text"]\n')
        self.assertFailsAt("train-000.jsonl:11", "expected a JSON object")

    def test_train_invalid_utf8_exits_1(self):
        self.append("train-000.jsonl", b'{"id": "x", "text": "\xff"}\n')
        self.assertFailsAt("train-000.jsonl:11", "not valid UTF-8")

    def test_train_unpaired_surrogate_exits_1(self):
        self.append("train-000.jsonl", b'{"id": "x", "text": "\\ud800"}\n')
        self.assertFailsAt("train-000.jsonl:11", "unpaired surrogate")

    def test_train_blank_lines_and_extra_fields_are_accepted(self):
        self.append("train-000.jsonl", b'\n   \n{"id": "x", "text": "fine", "prompt": "p", "response": "r"}\n')
        code, _, err = self.train()
        self.assertEqual(0, code, err)

    def test_train_empty_train_split_exits_1(self):
        for name in ("train-000.jsonl", "train-001.jsonl"):
            open(os.path.join(self.data, name), "w").close()
        code, _, err = self.train()
        self.assertEqual(1, code)
        self.assertIn("train split is empty", err)

    def test_train_missing_validation_split_exits_1(self):
        os.remove(os.path.join(self.data, "validation-000.jsonl"))
        code, _, err = self.train()
        self.assertEqual(1, code)
        self.assertIn("validation split is empty", err)

    def test_train_missing_data_folder_exits_1(self):
        code, _, err = helpers.run_inprocess(["train", "--data", os.path.join(self.tmp, "nope"), "--out", self.tmp,
                                              "--checkpoints", self.tmp])
        self.assertEqual(1, code)
        self.assertIn("does not exist", err)

    def test_train_shards_are_read_in_ordinal_name_order(self):
        from causal_lm.data import read_split
        with open(os.path.join(self.data, "train-Z.jsonl"), "w") as stream:
            stream.write(json.dumps({"id": "upper", "text": "Z"}) + "\n")
        with open(os.path.join(self.data, "train-a.jsonl"), "w") as stream:
            stream.write(json.dumps({"id": "lower", "text": "a"}) + "\n")
        ids = [e.id for e in read_split(self.data, "train")]
        # '0' < 'Z' < 'a' in ordinal order; a locale-aware sort would put 'a' before 'Z'.
        self.assertEqual(["upper", "lower"], ids[-2:])
        self.assertTrue(ids[0].startswith("train-000.jsonl"))


class UsageTests(helpers.TestCase):
    def assertUsageError(self, args, fragment):
        code, _, err = helpers.run_inprocess(args)
        self.assertEqual(2, code, err)
        self.assertIn(fragment, err)

    def test_cli_unknown_option_exits_2(self):
        self.assertUsageError(["train", "--data", "d", "--out", "o", "--checkpoints", "c", "--order", "3"],
                              "unrecognized arguments: --order 3")

    def test_cli_abbreviated_option_exits_2(self):
        self.assertUsageError(["train", "--data", "d", "--out", "o", "--checkpoints", "c", "--step", "3"], "--step")

    def test_cli_missing_required_option_exits_2(self):
        self.assertUsageError(["train", "--data", "d", "--out", "o"], "--checkpoints")

    def test_cli_bad_number_exits_2(self):
        self.assertUsageError(["train", "--data", "d", "--out", "o", "--checkpoints", "c", "--steps", "0"], "--steps")
        self.assertUsageError(["train", "--data", "d", "--out", "o", "--checkpoints", "c", "--lr", "fast"], "--lr")
        self.assertUsageError(["evaluate", "--model", "m", "--data", "d", "--out", "o", "--max-new-tokens", "-1"],
                              "--max-new-tokens")

    def test_cli_unknown_command_and_no_command_exit_2(self):
        self.assertUsageError(["fit"], "invalid choice: 'fit'")
        self.assertUsageError([], "required")

    def test_cli_lora_without_base_model_exits_2(self):
        self.assertUsageError(["train", "--data", "d", "--out", "o", "--checkpoints", "c", "--mode", "lora"], "--base-model")

    def test_cli_heads_not_dividing_width_exits_2(self):
        self.assertUsageError(["train", "--data", "d", "--out", "o", "--checkpoints", "c", "--d-model", "30",
                               "--heads", "4"], "not a multiple")

    def test_cli_bad_device_exits_2(self):
        self.assertUsageError(["generate", "--model", "m", "--prompt", "p", "--device", "tpu"], "--device")

    def test_process_bad_option_exit_code_is_2(self):
        code, _, err = helpers.run(["train", "--nope", "1"])
        self.assertEqual(2, code, err)


if __name__ == "__main__":
    unittest.main()
