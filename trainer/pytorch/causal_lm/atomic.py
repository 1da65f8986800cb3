"""Writes files so that a reader, or a job resumed after an eviction, never sees half of one."""

import json
import os


def write_bytes(path, data, durable=True):
    """Replaces ``path`` with ``data`` in one rename; ``durable`` also survives a power cut."""
    # The temporary file sits in the same folder so os.replace stays a rename, never a copy.
    temporary = f"{path}.tmp-{os.getpid()}"
    try:
        with open(temporary, "wb") as stream:
            stream.write(data)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    if durable:
        sync_folder(os.path.dirname(os.path.abspath(path)))


def write_json(path, value, durable=True):
    # allow_nan=False: NaN is not JSON and the .NET reader would reject the whole file.
    text = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    write_bytes(path, text.encode("utf-8"), durable)


def write_jsonl(path, rows, durable=True):
    lines = (json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n" for row in rows)
    write_bytes(path, "".join(lines).encode("utf-8"), durable)


def sync_folder(folder):
    """Makes a rename in ``folder`` durable; some file systems cannot, which costs only durability."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
