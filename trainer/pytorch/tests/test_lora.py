"""LoRA: frozen base, adapter-only files, resume, merge; and the Hugging Face path's failure messages."""

import hashlib
import importlib.util
import os
import shutil
import signal
import sys
import tempfile
import types
import unittest
from unittest import mock

import torch

import helpers
from causal_lm import checkpoint, families, inference, lora
from causal_lm.model import TinyTransformer, TransformerConfig

STEPS = 16


def sha256(path):
    with open(path, "rb") as stream:
        return hashlib.sha256(stream.read()).hexdigest()


class OwnAdapterTests(helpers.TestCase):
    """Adapters on a scratch model this trainer wrote: the path that runs on this machine."""

    @classmethod
    def setUpClass(cls):
        cls._shared = tempfile.TemporaryDirectory(prefix="causal_lm-lora-")
        root = cls._shared.name
        cls.data = helpers.write_corpus(os.path.join(root, "data"))
        cls.base = os.path.join(root, "base")
        code, _, err = helpers.run_inprocess(["train", "--data", cls.data, "--out", cls.base, "--checkpoints",
                                              os.path.join(root, "base-ck"), "--steps", "10", *helpers.TINY])
        assert code == 0, err
        cls.base_sha256 = sha256(os.path.join(cls.base, "model.pt"))

    @classmethod
    def tearDownClass(cls):
        cls._shared.cleanup()

    def lora_args(self, out, checkpoints, *extra):
        return ["train", "--data", self.data, "--out", out, "--checkpoints", checkpoints, "--mode", "lora",
                "--base-model", self.base, "--lora-r", "4", "--lr", "1e-2", "--steps", str(STEPS),
                "--checkpoint-every", "4", "--batch-size", "4", "--device", "cpu", *extra]

    def test_lora_trains_adapter_only_and_leaves_base_weights_unchanged(self):
        out, checkpoints = os.path.join(self.tmp, "out"), os.path.join(self.tmp, "ck")

        code, _, err = helpers.run_inprocess(self.lora_args(out, checkpoints))

        self.assertEqual(0, code, err)
        self.assertEqual(self.base_sha256, sha256(os.path.join(self.base, "model.pt")))
        self.assertEqual(["adapter.pt", "base_model.txt", "config.json", "metrics.json"], sorted(os.listdir(out)))
        adapter = helpers.load_state(os.path.join(out, "adapter.pt"))
        self.assertTrue(adapter)
        self.assertTrue(all(lora.is_adapter_key(name) for name in adapter), sorted(adapter))
        self.assertTrue(any(name.endswith("lora_b") and tensor.abs().sum() > 0 for name, tensor in adapter.items()),
                        "B starts at zero; training must have moved it")
        checkpoint_state = checkpoint.read(os.path.join(checkpoints, "checkpoint.pt"))
        self.assertEqual(sorted(adapter), sorted(checkpoint_state["model"]))
        metrics = helpers.read_json(os.path.join(out, "metrics.json"))
        self.assertEqual("lora", metrics["family"])
        self.assertEqual(sum(t.numel() for t in adapter.values()), metrics["trainable_parameters"])
        self.assertLess(metrics["trainable_parameters"], metrics["parameters"] / 2)
        config = helpers.read_json(os.path.join(out, "config.json"))
        self.assertEqual({"kind": "causal_lm", "sha256": self.base_sha256, "path": os.path.abspath(self.base)},
                         config["base"])
        with open(os.path.join(out, "base_model.txt")) as stream:
            self.assertEqual(os.path.abspath(self.base), stream.read().strip())

        # The merged model evaluate loads computes what base + adapter computed in training.
        merged = inference.load(out, "cpu")
        base_config = families.read_config(self.base)
        unmerged = families.load_scratch_module(self.base, base_config)
        lora.inject(unmerged, config["lora"]["targets"], 4, 16.0, 0.0)
        lora.load_adapter(unmerged, adapter)
        ids = torch.tensor([[256, 84, 104, 101, 32, 99, 97, 116]])
        with torch.no_grad():
            self.assertTrue(torch.allclose(unmerged.eval()(ids), merged.forward(ids), atol=1e-5))
            self.assertFalse(torch.allclose(families.load_scratch_module(self.base, base_config).eval()(ids),
                                            merged.forward(ids), atol=1e-4))
        code, _, err = helpers.run_inprocess(["evaluate", "--model", out, "--data", self.data, "--out",
                                              os.path.join(self.tmp, "eval"), "--sample-prompts", "2"])
        self.assertEqual(0, code, err)

    def test_lora_sigterm_then_resume_ends_with_the_uninterrupted_adapter(self):
        reference_out = os.path.join(self.tmp, "reference")
        code, _, err = helpers.run_inprocess(self.lora_args(reference_out, os.path.join(self.tmp, "reference-ck")))
        self.assertEqual(0, code, err)
        out, checkpoints = os.path.join(self.tmp, "out"), os.path.join(self.tmp, "ck")
        process = helpers.start(self.lora_args(out, checkpoints, "--step-delay-ms", "150"))
        helpers.wait_for_step(checkpoints, 6, process)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        self.assertEqual(143, process.returncode, err)

        stopped_at = helpers.read_json(os.path.join(checkpoints, "progress.json"))["step"]

        code, _, err = helpers.run(self.lora_args(out, checkpoints))

        self.assertEqual(0, code, err)
        self.assertEqual(stopped_at, helpers.read_json(os.path.join(out, "metrics.json"))["resumed_from_step"], err)
        self.assertStatesEqual(helpers.load_state(os.path.join(reference_out, "adapter.pt")),
                               helpers.load_state(os.path.join(out, "adapter.pt")))

    def test_lora_merge_equals_wrapped_layer(self):
        torch.manual_seed(3)
        module = TinyTransformer(TransformerConfig(259, 16, 1, 2, 8))
        lora.inject(module, ["qkv", "fc"], 2, 4.0, 0.0)
        with torch.no_grad():
            for name, parameter in module.named_parameters():
                if name.endswith("lora_b"):
                    parameter.normal_()
        ids = torch.randint(0, 256, (2, 8))
        with torch.no_grad():
            wrapped = module.eval()(ids)
            merged = lora.merge(module)(ids)
        self.assertFalse(any(isinstance(m, lora.LoRALinear) for m in module.modules()))
        self.assertTrue(torch.allclose(wrapped, merged, atol=1e-5))

    def test_lora_unknown_target_exits_1_listing_layers(self):
        code, _, err = helpers.run_inprocess(self.lora_args(os.path.join(self.tmp, "o"), os.path.join(self.tmp, "c"),
                                                            "--lora-targets", "q_proj"))
        self.assertEqual(1, code)
        self.assertIn("matches no linear layer", err)
        self.assertIn("qkv", err)

    def test_evaluate_adapter_whose_base_changed_exits_1(self):
        base = os.path.join(self.tmp, "base")
        shutil.copytree(self.base, base)
        out = os.path.join(self.tmp, "out")
        args = self.lora_args(out, os.path.join(self.tmp, "ck"))
        args[args.index("--base-model") + 1] = base
        args[args.index("--steps") + 1] = "2"
        self.assertEqual(0, helpers.run_inprocess(args)[0])
        state = helpers.load_state(os.path.join(base, "model.pt"))
        state["norm.bias"] += 1
        torch.save(state, os.path.join(base, "model.pt"))

        code, _, err = helpers.run_inprocess(["evaluate", "--model", out, "--data", self.data, "--out", self.tmp])

        self.assertEqual(1, code)
        self.assertIn("base model weights changed", err)


class HuggingFaceMissingTests(helpers.TestCase):
    def setUp(self):
        super().setUp()
        self.data = helpers.write_corpus(os.path.join(self.tmp, "data"), train=10, validation=2, test=2)

    def train_hub_model(self):
        return helpers.run_inprocess(["train", "--data", self.data, "--out", os.path.join(self.tmp, "o"), "--checkpoints",
                                      os.path.join(self.tmp, "c"), "--mode", "lora", "--base-model", "sshleifer/tiny-gpt2",
                                      "--steps", "1", "--device", "cpu"])

    def test_lora_without_transformers_exits_1_saying_transformers(self):
        with mock.patch.dict(sys.modules, {"transformers": None}):
            code, _, err = self.train_hub_model()
        self.assertEqual(1, code)
        self.assertEqual(1, len(err.strip().splitlines()), err)
        self.assertIn("'transformers' cannot be imported", err)

    def test_lora_without_peft_exits_1_saying_peft(self):
        with mock.patch.dict(sys.modules, {"transformers": types.ModuleType("transformers"), "peft": None}):
            code, _, err = self.train_hub_model()
        self.assertEqual(1, code)
        self.assertEqual(1, len(err.strip().splitlines()), err)
        self.assertIn("'peft' cannot be imported", err)


_HAVE_HF = all(importlib.util.find_spec(name) for name in ("transformers", "peft", "tokenizers"))


@unittest.skipUnless(_HAVE_HF, "transformers, peft and tokenizers are not installed here (they are on Azure ML)")
class HuggingFaceTests(helpers.TestCase):
    """peft on a tiny, randomly initialised GPT-2 built in code (no hub): runs where the packages exist."""

    def setUp(self):
        super().setUp()
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
        from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

        self.data = helpers.write_corpus(os.path.join(self.tmp, "data"), train=40, validation=4, test=4)
        texts = [row["text"] for row in helpers.read_jsonl(os.path.join(self.data, "train-000.jsonl"))]
        bpe = Tokenizer(models.BPE())
        bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        bpe.decoder = decoders.ByteLevel()
        bpe.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=300, special_tokens=["<|endoftext|>"],
                                                           initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
        tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|endoftext|>", eos_token="<|endoftext|>")
        self.base = os.path.join(self.tmp, "tiny-gpt2")
        tokenizer.save_pretrained(self.base)
        torch.manual_seed(0)
        GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_positions=64, n_embd=32, n_layer=2, n_head=2,
                                   bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
                        ).save_pretrained(self.base)

    def args(self, out, checkpoints, *extra):
        return ["train", "--data", self.data, "--out", out, "--checkpoints", checkpoints, "--mode", "lora",
                "--base-model", self.base, "--steps", "6", "--checkpoint-every", "3", "--batch-size", "2",
                "--seq-len", "32", "--lr", "1e-2", "--device", "cpu", *extra]

    def test_lora_peft_trains_saves_adapter_resumes_and_evaluates(self):
        out, checkpoints = os.path.join(self.tmp, "out"), os.path.join(self.tmp, "ck")
        base_weights = sorted(f for f in os.listdir(self.base) if f.endswith((".safetensors", ".bin")))
        before = {name: sha256(os.path.join(self.base, name)) for name in base_weights}

        code, _, err = helpers.run_inprocess(self.args(out, checkpoints))
        self.assertEqual(0, code, err)

        self.assertEqual(before, {name: sha256(os.path.join(self.base, name)) for name in base_weights})
        self.assertIn("adapter.pt", os.listdir(out))
        self.assertNotIn("model.pt", os.listdir(out))
        adapter = helpers.load_state(os.path.join(out, "adapter.pt"))
        self.assertTrue(adapter and all("lora_" in name for name in adapter), sorted(adapter))
        self.assertEqual("hf", helpers.read_json(os.path.join(out, "config.json"))["base"]["kind"])
        code, _, err = helpers.run_inprocess(self.args(out, checkpoints))
        self.assertEqual(0, code, err)
        self.assertEqual(6, helpers.read_json(os.path.join(out, "metrics.json"))["resumed_from_step"])
        self.assertStatesEqual(adapter, helpers.load_state(os.path.join(out, "adapter.pt")))
        code, _, err = helpers.run_inprocess(["evaluate", "--model", out, "--data", self.data, "--out",
                                              os.path.join(self.tmp, "eval"), "--sample-prompts", "2",
                                              "--max-new-tokens", "4", "--device", "cpu"])
        self.assertEqual(0, code, err)
        self.assertEqual(4, len(helpers.read_jsonl(os.path.join(self.tmp, "eval", "examples.jsonl"))))

    def test_lora_unreachable_hub_exits_1_with_one_line(self):
        environment = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=helpers.PACKAGE_ROOT)
        args = self.args(os.path.join(self.tmp, "o"), os.path.join(self.tmp, "c"))
        args[args.index("--base-model") + 1] = "no-such-org/no-such-model"
        import subprocess
        process = subprocess.run([sys.executable, "-m", "causal_lm", *args], env=environment, capture_output=True,
                                 text=True, timeout=300)
        self.assertEqual(1, process.returncode, process.stderr)
        self.assertIn("cannot load base model 'no-such-org/no-such-model'", process.stderr)
        self.assertEqual(1, len(process.stderr.strip().splitlines()), process.stderr)


if __name__ == "__main__":
    unittest.main()
