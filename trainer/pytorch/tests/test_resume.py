"""Eviction: a run killed or stopped and resubmitted ends with exactly the weights of an uninterrupted run."""

import os
import random
import shutil
import signal
import sys
import tempfile
import time
import unittest
from unittest import mock

import helpers
from causal_lm import checkpoint, train

STEPS = 30
EVERY = 5


def train_args(data, out, checkpoints, *extra):
    return ["train", "--data", data, "--out", out, "--checkpoints", checkpoints,
            "--steps", str(STEPS), "--checkpoint-every", str(EVERY), *helpers.TINY, *extra]


class ResumeTests(helpers.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._shared = tempfile.TemporaryDirectory(prefix="causal_lm-reference-")
        root = cls._shared.name
        cls.data = helpers.write_corpus(os.path.join(root, "data"))
        cls.reference_checkpoints = os.path.join(root, "checkpoints")
        started = time.perf_counter()
        code, out, err = helpers.run(train_args(cls.data, os.path.join(root, "out"), cls.reference_checkpoints))
        assert code == 0, err
        print(f"  [{time.perf_counter() - started:5.2f} s] uninterrupted reference run", file=sys.stderr)
        cls.reference = helpers.load_state(os.path.join(root, "out", "model.pt"))

    @classmethod
    def tearDownClass(cls):
        cls._shared.cleanup()

    def test_train_killed_with_sigkill_mid_run_resumes_to_bitwise_equal_weights(self):
        out, checkpoints = os.path.join(self.tmp, "out"), os.path.join(self.tmp, "checkpoints")
        # A generator of its own: in-process training seeds the module-level one.
        kill_at = random.Random().randint(EVERY + 1, STEPS - 3)
        print(f"  SIGKILL after step {kill_at} of {STEPS}", file=sys.stderr)
        process = helpers.start(train_args(self.data, out, checkpoints, "--step-delay-ms", "100"))
        helpers.wait_for_step(checkpoints, kill_at, process)
        process.kill()
        process.communicate()
        self.assertEqual(-signal.SIGKILL, process.returncode)
        self.assertFalse(os.path.exists(os.path.join(out, "metrics.json")))

        code, _, err = helpers.run(train_args(self.data, out, checkpoints))
        self.assertEqual(0, code, err)
        metrics = helpers.read_json(os.path.join(out, "metrics.json"))
        self.assertGreater(metrics["resumed_from_step"], 0)
        self.assertLess(metrics["resumed_from_step"], STEPS)
        self.assertStatesEqual(self.reference, helpers.load_state(os.path.join(out, "model.pt")))

    def test_train_later_attempt_claims_checkpoints_earlier_stops_without_writing_later_ends_equal(self):
        # Attempt 1 is thought lost but still runs when attempt 2 starts on the same checkpoints: the fence stops
        # attempt 1 at its next write, and attempt 2 ends with the weights of an uninterrupted run.
        checkpoints = os.path.join(self.tmp, "checkpoints")
        out1, out2 = os.path.join(self.tmp, "out1"), os.path.join(self.tmp, "out2")
        first = helpers.start(train_args(self.data, out1, checkpoints, "--step-delay-ms", "100"), attempt=1)
        helpers.wait_for_step(checkpoints, EVERY + 1, first)
        second = helpers.start(train_args(self.data, out2, checkpoints, "--step-delay-ms", "20"), attempt=2)
        _, first_err = first.communicate(timeout=120)
        _, second_err = second.communicate(timeout=120)

        self.assertEqual(3, first.returncode, first_err)
        self.assertIn("attempt 2 of this job owns the checkpoints", first_err)
        self.assertFalse(os.path.exists(os.path.join(out1, "metrics.json")))
        self.assertEqual(0, second.returncode, second_err)
        self.assertStatesEqual(self.reference, helpers.load_state(os.path.join(out2, "model.pt")))

        stale = helpers.start(train_args(self.data, os.path.join(self.tmp, "stale"), checkpoints), attempt=1)
        stale.communicate(timeout=120)
        self.assertEqual(3, stale.returncode)

    def test_train_sigterm_checkpoints_current_step_exits_143_and_resume_completes(self):
        out, checkpoints = os.path.join(self.tmp, "out"), os.path.join(self.tmp, "checkpoints")
        process = helpers.start(train_args(self.data, out, checkpoints, "--step-delay-ms", "100"))
        helpers.wait_for_step(checkpoints, 7, process)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        self.assertEqual(143, process.returncode, err)
        self.assertIn("SIGTERM", err)
        stopped_at = helpers.read_json(os.path.join(checkpoints, "progress.json"))["step"]
        # Checkpointed at the step it stopped on, not at the last multiple of --checkpoint-every.
        self.assertNotEqual(0, stopped_at % EVERY, "pick a stop step off the regular schedule")

        code, _, err = helpers.run(train_args(self.data, out, checkpoints))
        self.assertEqual(0, code, err)
        metrics = helpers.read_json(os.path.join(out, "metrics.json"))
        self.assertEqual(stopped_at, metrics["resumed_from_step"])
        self.assertEqual({"step": STEPS, "totalSteps": STEPS}, helpers.read_json(os.path.join(checkpoints, "progress.json")))
        self.assertStatesEqual(self.reference, helpers.load_state(os.path.join(out, "model.pt")))

    def test_train_sigterm_arriving_after_the_checkpoint_decision_still_checkpoints_before_exit(self):
        class LateSignal:
            """SIGTERM that lands just after the loop first looks at the flag (while progress is written)."""
            reads = 0

            def __init__(self):
                pass

            @property
            def requested(self):
                LateSignal.reads += 1
                return LateSignal.reads > 1

            def close(self):
                pass

        checkpoints = os.path.join(self.tmp, "checkpoints")
        with mock.patch.object(train, "StopRequest", LateSignal):
            code, _, err = helpers.run_inprocess(train_args(self.data, os.path.join(self.tmp, "out"), checkpoints))

        self.assertEqual(143, code, err)
        progress = helpers.read_json(os.path.join(checkpoints, "progress.json"))
        self.assertEqual(progress["step"], checkpoint.read(os.path.join(checkpoints, checkpoint.LATEST))["step"])

    def test_train_truncated_latest_checkpoint_falls_back_to_previous_with_warning(self):
        out, checkpoints = os.path.join(self.tmp, "out"), os.path.join(self.tmp, "checkpoints")
        shutil.copytree(self.reference_checkpoints, checkpoints)
        latest = os.path.join(checkpoints, "checkpoint.pt")
        with open(latest, "r+b") as stream:
            stream.truncate(os.path.getsize(latest) // 2)

        code, _, err = helpers.run_inprocess(train_args(self.data, out, checkpoints))

        self.assertEqual(0, code, err)
        self.assertIn("checkpoint.pt: unreadable checkpoint", err)
        self.assertEqual(STEPS - EVERY, helpers.read_json(os.path.join(out, "metrics.json"))["resumed_from_step"])
        self.assertStatesEqual(self.reference, helpers.load_state(os.path.join(out, "model.pt")))

    def test_train_every_checkpoint_damaged_starts_over_with_warning(self):
        out, checkpoints = os.path.join(self.tmp, "out"), os.path.join(self.tmp, "checkpoints")
        shutil.copytree(self.reference_checkpoints, checkpoints)
        for name in ("checkpoint.pt", "checkpoint.prev.pt"):
            path = os.path.join(checkpoints, name)
            with open(path, "r+b") as stream:
                stream.seek(os.path.getsize(path) - 100)
                stream.write(b"\0" * 10)  # same length, damaged payload: only the checksum notices

        code, _, err = helpers.run_inprocess(train_args(self.data, out, checkpoints))

        self.assertEqual(0, code, err)
        self.assertIn("checksum mismatch", err)
        self.assertIn("training starts over", err)
        self.assertEqual(0, helpers.read_json(os.path.join(out, "metrics.json"))["resumed_from_step"])
        self.assertStatesEqual(self.reference, helpers.load_state(os.path.join(out, "model.pt")))

    def test_train_checkpoint_from_other_settings_is_ignored_with_warning(self):
        out, checkpoints = os.path.join(self.tmp, "out"), os.path.join(self.tmp, "checkpoints")
        shutil.copytree(self.reference_checkpoints, checkpoints)

        code, _, err = helpers.run_inprocess(train_args(self.data, out, checkpoints, "--seed", "2"))

        self.assertEqual(0, code, err)
        self.assertIn("written for other data or settings", err)
        self.assertEqual(0, helpers.read_json(os.path.join(out, "metrics.json"))["resumed_from_step"])

    def test_train_checkpoint_from_other_data_is_ignored_with_warning(self):
        data = helpers.write_corpus(os.path.join(self.tmp, "data"), seed=1)
        out, checkpoints = os.path.join(self.tmp, "out"), os.path.join(self.tmp, "checkpoints")
        shutil.copytree(self.reference_checkpoints, checkpoints)

        code, _, err = helpers.run_inprocess(train_args(data, out, checkpoints))

        self.assertEqual(0, code, err)
        self.assertIn("written for other data or settings", err)
        self.assertEqual(0, helpers.read_json(os.path.join(out, "metrics.json"))["resumed_from_step"])

    def test_train_finished_checkpoint_rewrites_outputs_without_training(self):
        out, checkpoints = os.path.join(self.tmp, "out"), os.path.join(self.tmp, "checkpoints")
        shutil.copytree(self.reference_checkpoints, checkpoints)

        code, _, err = helpers.run_inprocess(train_args(self.data, out, checkpoints))

        self.assertEqual(0, code, err)
        metrics = helpers.read_json(os.path.join(out, "metrics.json"))
        self.assertEqual(STEPS, metrics["resumed_from_step"])
        self.assertEqual(STEPS, metrics["steps"])
        self.assertStatesEqual(self.reference, helpers.load_state(os.path.join(out, "model.pt")))


if __name__ == "__main__":
    unittest.main()
