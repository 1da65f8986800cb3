"""Trains, evaluates and samples causal language models under the pipeline's job contract.

Run as ``python3 -m causal_lm train|evaluate|generate ...``; see ``trainer/pytorch/README.md``.
"""
