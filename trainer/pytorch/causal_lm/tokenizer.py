"""The scratch family's tokenizer: UTF-8 bytes, so any text round-trips and bits per byte is exact."""


class ByteTokenizer:
    """256 byte ids, then BOS, EOS and PAD. A Hugging Face tokenizer is wrapped to the same shape in hf.py."""

    bos_id = 256
    eos_id = 257
    pad_id = 258
    vocab_size = 259

    def encode(self, text):
        return list(text.encode("utf-8"))

    def decode(self, ids):
        # A completion may stop inside a multi-byte character; show that as U+FFFD rather than fail.
        return bytes(i for i in ids if i < 256).decode("utf-8", errors="replace")

    def describe(self):
        return {"kind": "byte", "vocab_size": self.vocab_size, "bos": self.bos_id, "eos": self.eos_id, "pad": self.pad_id}
