"""Training batches: documents packed end to end into fixed-length rows, in a seeded order per epoch.

Each epoch permutes the documents with a generator seeded from (seed, epoch) alone, concatenates them
([BOS] text [EOS] each) and cuts the stream into rows of seq_len + 1 tokens that overlap by one, so
every token but the first is a target exactly once per epoch. The cursor (epoch, row) is the whole
state: a resumed run rebuilds the same epoch and continues at the same row.
"""

import torch

IGNORE = -100  # cross_entropy's ignore_index: padding targets cost nothing


class PackedBatches:
    def __init__(self, documents, seq_len, batch_size, seed, pad_id):
        if not documents:
            raise ValueError("no documents to pack")
        self.seq_len = seq_len
        self.batch_size = batch_size
        self.seed = seed
        self.pad_id = pad_id
        self._tokens = torch.tensor([t for document in documents for t in document], dtype=torch.long)
        lengths = torch.tensor([len(document) for document in documents], dtype=torch.long)
        self._starts = torch.cumsum(lengths, 0) - lengths
        self._lengths = lengths
        self.epoch = 0
        self.row = 0
        self._rows_epoch = None
        self._rows = None

    def cursor(self):
        return {"epoch": self.epoch, "row": self.row}

    def restore(self, cursor):
        self.epoch, self.row = int(cursor["epoch"]), int(cursor["row"])

    def next_batch(self):
        """(inputs [B, T], targets [B, T]); a batch that runs past an epoch's end continues into the next."""
        pieces, count = [], 0
        while count < self.batch_size:
            epoch_rows = self._epoch_rows()
            take = min(self.batch_size - count, epoch_rows.size(0) - self.row)
            pieces.append(epoch_rows[self.row:self.row + take])
            count += take
            self.row += take
            if self.row == epoch_rows.size(0):
                self.epoch, self.row = self.epoch + 1, 0
        batch = torch.cat(pieces)
        inputs = batch[:, :-1].clone()
        targets = batch[:, 1:].clone()
        inputs[inputs == IGNORE] = self.pad_id
        return inputs, targets

    def _epoch_rows(self):
        if self._rows_epoch != self.epoch:
            self._rows = self._pack(self.epoch)
            self._rows_epoch = self.epoch
        return self._rows

    def _pack(self, epoch):
        generator = torch.Generator().manual_seed((self.seed * 1_000_003 + epoch) % (2 ** 63))
        order = torch.randperm(self._lengths.numel(), generator=generator)
        stream = torch.cat([self._tokens[self._starts[i]:self._starts[i] + self._lengths[i]] for i in order.tolist()])
        span = self.seq_len + 1
        count = max(1, -(-(stream.numel() - 1) // self.seq_len))
        # The last row is padded with IGNORE, which next_batch turns into PAD as an input and skips as a target.
        padded = torch.full((self.seq_len * count + 1,), IGNORE, dtype=torch.long)
        padded[:stream.numel()] = stream
        return padded.unfold(0, span, self.seq_len)
