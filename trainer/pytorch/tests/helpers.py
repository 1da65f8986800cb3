"""What the tests share: a synthetic corpus, the command line in-process and as a real process, timings."""

import contextlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import unittest

import torch

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if PACKAGE_ROOT not in sys.path:
    sys.path.insert(0, PACKAGE_ROOT)

from causal_lm import cli, runtime  # noqa: E402

# Small enough that a step takes milliseconds; dropout on, so resuming must restore the RNG exactly.
TINY = ["--d-model", "32", "--layers", "1", "--heads", "2", "--seq-len", "32", "--batch-size", "4",
        "--dropout", "0.1", "--warmup-steps", "3", "--device", "cpu"]

_SUBJECTS = ["the cat", "a dog", "my friend", "the old man", "a little girl", "the teacher", "our neighbour", "the bird"]
_VERBS = ["sees", "likes", "walks to", "reads about", "runs past", "finds", "paints", "remembers"]
_OBJECTS = ["the river", "a red house", "the garden", "a quiet street", "the market", "an old book", "the sea"]
_ENDINGS = ["today.", "every morning.", "in the rain.", "after lunch.", "with a smile.", "again.", "at night."]


def sentence(rng):
    return " ".join([rng.choice(_SUBJECTS).capitalize(), rng.choice(_VERBS), rng.choice(_OBJECTS), rng.choice(_ENDINGS)])


def write_corpus(folder, train=200, validation=20, test=20, seed=0):
    """Curated-shard layout: train split over two shards, extra fields the trainer must ignore."""
    rng = random.Random(seed)
    os.makedirs(folder, exist_ok=True)
    shards = {"train-000.jsonl": train // 2, "train-001.jsonl": train - train // 2,
              "validation-000.jsonl": validation, "test-000.jsonl": test}
    for name, count in shards.items():
        split = name.split("-")[0]
        with open(os.path.join(folder, name), "w", encoding="utf-8") as stream:
            for i in range(count):
                record = {"id": f"{name}-{i}", "text": sentence(rng), "source": "synthetic", "meta": {"i": i}}
                stream.write(json.dumps(record) + "\n")
    return folder


def run_inprocess(args):
    """(exit code, stdout, stderr) of the command line run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def start(args, attempt=None):
    """The command line as a real child process (for signals), output collected in pipes; ``attempt`` sets
    GENAI_JOB_ATTEMPT as the job backend does."""
    environment = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    environment.pop("GENAI_JOB_ATTEMPT", None)
    if attempt is not None:
        environment["GENAI_JOB_ATTEMPT"] = str(attempt)
    return subprocess.Popen([sys.executable, "-m", "causal_lm", *args], cwd=PACKAGE_ROOT, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(args, timeout=120):
    process = start(args)
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def wait_for_step(checkpoints, step, process, timeout=60):
    """Blocks until progress.json reports at least ``step`` (the process must still be running)."""
    deadline = time.monotonic() + timeout
    path = os.path.join(checkpoints, "progress.json")
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"process ended early with {process.returncode}: {process.communicate()}")
        try:
            with open(path, encoding="utf-8") as stream:
                progress = json.load(stream)
            if progress["step"] >= step:
                return progress
        except (OSError, ValueError):
            pass
        time.sleep(0.01)
    raise AssertionError(f"step {step} not reached in {timeout} s")


def read_json(path):
    with open(path, encoding="utf-8") as stream:
        return json.load(stream)


def read_jsonl(path):
    with open(path, encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


def load_state(path):
    return runtime.load_tensors(path)


class TestCase(unittest.TestCase):
    """Temporary folder per test and a timing line per test, so a slow test shows itself."""

    def setUp(self):
        self._folder = tempfile.TemporaryDirectory(prefix="causal_lm-test-")
        self.tmp = self._folder.name
        self._started = time.perf_counter()

    def tearDown(self):
        print(f"  [{time.perf_counter() - self._started:5.2f} s] {self.id()}", file=sys.stderr, flush=True)
        self._folder.cleanup()

    def assertStatesEqual(self, expected, actual):
        self.assertEqual(sorted(expected), sorted(actual))
        for name in expected:
            self.assertTrue(torch.equal(expected[name], actual[name]), f"tensor {name} differs")
