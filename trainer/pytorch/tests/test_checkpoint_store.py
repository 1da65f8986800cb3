"""The checkpoint folder's rotation and fallback, and the data cursor a checkpoint holds."""

import os
import unittest

import torch

import helpers
from causal_lm.batches import IGNORE, PackedBatches
from causal_lm.checkpoint import LATEST, PREVIOUS, CheckpointStore


class CheckpointStoreTests(helpers.TestCase):
    def setUp(self):
        super().setUp()
        self.warnings = []
        self.store = CheckpointStore(os.path.join(self.tmp, "ck"), self.warnings.append)

    def state(self, step):
        return {"fingerprint": "f", "step": step, "lr": 0.5, "weights": torch.full((3,), float(step))}

    def test_save_keeps_latest_and_previous_only(self):
        for step in (1, 2, 3):
            self.store.save(self.state(step))
        self.assertEqual(sorted([LATEST, PREVIOUS]), sorted(os.listdir(self.store.folder)))
        self.assertEqual(3, self.store.load("f")["step"])
        os.remove(self.store.path(LATEST))  # a crash between the two renames leaves only the previous one
        self.assertEqual(2, CheckpointStore(self.store.folder, self.warnings.append).load("f")["step"])

    def test_load_removes_leftover_temporary_files(self):
        self.store.save(self.state(1))
        leftover = self.store.path(f"{LATEST}.tmp-12345")
        with open(leftover, "wb") as stream:
            stream.write(b"half a checkpoint")
        self.assertEqual(1, self.store.load("f")["step"])
        self.assertFalse(os.path.exists(leftover))

    def test_after_falling_back_the_next_save_keeps_the_good_checkpoint_as_previous(self):
        self.store.save(self.state(1))
        self.store.save(self.state(2))
        with open(self.store.path(LATEST), "wb") as stream:
            stream.write(b"garbage")
        store = CheckpointStore(self.store.folder, self.warnings.append)
        self.assertEqual(1, store.load("f")["step"])
        store.save(self.state(2))
        os.remove(store.path(LATEST))
        self.assertEqual(1, CheckpointStore(store.folder, self.warnings.append).load("f")["step"])
        self.assertTrue(any("not a causal_lm checkpoint" in w for w in self.warnings), self.warnings)

    def test_empty_or_missing_folder_starts_over_silently(self):
        self.assertIsNone(self.store.load("f"))
        os.makedirs(self.store.folder)
        self.assertIsNone(self.store.load("f"))
        self.assertEqual([], self.warnings)


class PackedBatchesTests(unittest.TestCase):
    def documents(self):
        return [[256] + list(range(i % 7 + 1)) + [257] for i in range(23)]

    def test_restored_cursor_continues_with_the_same_batches(self):
        first = PackedBatches(self.documents(), 8, 3, 5, 258)
        for _ in range(4):
            first.next_batch()
        cursor = first.cursor()
        expected = [first.next_batch() for _ in range(6)]  # crosses into later epochs
        second = PackedBatches(self.documents(), 8, 3, 5, 258)
        second.restore(cursor)
        for inputs, targets in expected:
            actual_inputs, actual_targets = second.next_batch()
            self.assertTrue(torch.equal(inputs, actual_inputs))
            self.assertTrue(torch.equal(targets, actual_targets))

    def test_each_epoch_targets_every_token_after_the_first_once(self):
        documents = self.documents()
        batches = PackedBatches(documents, 8, 1, 5, 258)
        rows = batches._epoch_rows().size(0)
        targets = torch.cat([batches.next_batch()[1].flatten() for _ in range(rows)])
        self.assertEqual(sum(len(d) for d in documents) - 1, int((targets != IGNORE).sum()))
        self.assertEqual({"epoch": 1, "row": 0}, batches.cursor())

    def test_epochs_differ_in_order_but_not_in_content(self):
        batches = PackedBatches(self.documents(), 8, 1, 5, 258)
        first, second = batches._pack(0), batches._pack(1)
        self.assertFalse(torch.equal(first, second))

        def stream(rows):  # rows overlap by one token
            tokens = torch.cat([rows[0], rows[1:, 1:].flatten()])
            return sorted(tokens[tokens != IGNORE].tolist())
        self.assertEqual(stream(first), stream(second))


if __name__ == "__main__":
    unittest.main()
