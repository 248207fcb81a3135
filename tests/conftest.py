"""Shared fixtures. Nothing here touches the network: the hub is off for every test."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> str:
    """A tiny randomly initialised BERT (2 layers, 32 wide) saved as safetensors, for unit
    tests only: it loads in milliseconds and learns nothing useful. Uses the bundled
    MiniLM's real WordPiece tokenizer."""
    from transformers import AutoTokenizer, BertConfig, BertForTokenClassification

    from helpers.env import bundled_model_path

    path = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(bundled_model_path())
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128,
                        num_labels=3)
    BertForTokenClassification(config).save_pretrained(path)  # safetensors by default
    tokenizer.save_pretrained(path)
    return str(path)
