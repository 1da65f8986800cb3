"""Reads curated JSONL shards: one ``{"id": str, "text": str, ...}`` object per line."""

import fnmatch
import hashlib
import json
import os
from dataclasses import dataclass

from .errors import JobError


@dataclass(frozen=True)
class Example:
    id: str
    text: str


def read_split(data_dir, split):
    """Every example of ``<split>-*.jsonl`` in ``data_dir``, files in ordinal name order."""
    return read_files(shard_files(data_dir, f"{split}-*.jsonl"))


def read_folder(folder):
    """Every example of every ``*.jsonl`` in ``folder`` (an extra evaluation set)."""
    return read_files(shard_files(folder, "*.jsonl"))


def shard_files(folder, pattern):
    if not os.path.isdir(folder):
        raise JobError(f"data folder '{folder}' does not exist")
    # sorted() on str compares code points, the ordinal order the .NET pipeline lists shards in.
    names = sorted(name for name in os.listdir(folder) if fnmatch.fnmatchcase(name, pattern))
    return [os.path.join(folder, name) for name in names if os.path.isfile(os.path.join(folder, name))]


def read_files(paths):
    examples = []
    for path in paths:
        examples.extend(read_file(path))
    return examples


def read_file(path):
    """The examples of one shard. A bad line stops the job with its file and line: the data was
    curated upstream, so a bad line here is a bug worth failing for, not a record to skip."""
    with open(path, "rb") as stream:
        for number, raw in enumerate(stream, start=1):
            if raw.strip():
                yield Example(*parse_line(raw, f"{path}:{number}", ("id", "text")))


def parse_line(raw, where, fields):
    """The values of the string ``fields`` of one JSONL line; JobError naming ``where`` otherwise."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise JobError(f"{where}: not valid UTF-8 (byte {error.start})") from None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise JobError(f"{where}: malformed JSON: {error.msg} at column {error.colno}") from None
    if not isinstance(record, dict):
        raise JobError(f"{where}: expected a JSON object, found {type(record).__name__}")
    values = []
    for field in fields:
        value = record.get(field)
        if not isinstance(value, str):
            raise JobError(f"{where}: field '{field}' is missing or not a string")
        try:
            # A lone \ud800 escape parses into a str that has no UTF-8 bytes, so no byte count either.
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise JobError(f"{where}: field '{field}' holds an unpaired surrogate escape") from None
        values.append(value)
    return values


def digest(examples):
    """Identifies the exact texts (and their order), so a checkpoint is tied to its data."""
    hash = hashlib.sha256()
    for example in examples:
        text = example.text.encode("utf-8")
        hash.update(len(text).to_bytes(8, "little"))
        hash.update(text)
    return hash.hexdigest()
