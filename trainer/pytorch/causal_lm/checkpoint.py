"""The ``--checkpoints`` folder: the latest checkpoint plus the one before it, and the progress file.

A checkpoint file is a magic string, the SHA-256 of the payload and the payload (torch.save of a dict
of tensors and plain values). The hash catches a file truncated or damaged after it was written, which
torch.load alone may not; such a file is skipped for the previous one, never half-loaded.
"""

import glob
import hashlib
import os

from . import atomic, runtime
from .errors import FencedError, UsageError

LATEST = "checkpoint.pt"
PREVIOUS = "checkpoint.prev.pt"
PROGRESS = "progress.json"
OWNER = ".owner"
ATTEMPT_VARIABLE = "GENAI_JOB_ATTEMPT"
_MAGIC = b"causal_lm checkpoint v1\n"


class CheckpointStore:
    """Fenced by attempt: run as attempt n (the GENAI_JOB_ATTEMPT variable, set by the job backend), the store
    claims the folder by writing n to ``.owner`` and, before every write, stops with FencedError once a later
    attempt has claimed it, so an attempt wrongly thought lost never writes beside its successor."""

    def __init__(self, folder, warn, attempt=None):
        self.folder = folder
        self.warn = warn
        self.attempt = attempt
        self._rejected = set()

    def claim(self):
        if self.attempt is None:
            return
        os.makedirs(self.folder, exist_ok=True)
        self.ensure_owner()
        if self._owner() != self.attempt:
            atomic.write_bytes(self.path(OWNER), str(self.attempt).encode("ascii"))

    def ensure_owner(self):
        owner = self._owner()
        if self.attempt is not None and owner is not None and owner > self.attempt:
            raise FencedError(f"{self.path(OWNER)}: attempt {owner} of this job owns the checkpoints; "
                              f"attempt {self.attempt} stops without writing")

    def _owner(self):
        try:
            with open(self.path(OWNER), encoding="utf-8") as stream:
                return int(stream.read().strip())
        except (OSError, ValueError):
            return None

    def path(self, name):
        return os.path.join(self.folder, name)

    def load(self, fingerprint):
        """The newest checkpoint written for ``fingerprint``, or None to start over (with a warning
        for every checkpoint passed over, so a silent restart from step 0 cannot happen)."""
        if not os.path.isdir(self.folder):
            return None
        # An attempt killed mid-write leaves its temporary file; the newest attempt owns the folder.
        for leftover in glob.glob(os.path.join(glob.escape(self.folder), "*.tmp-*")):
            os.remove(leftover)
        seen = False
        for name in (LATEST, PREVIOUS):
            path = self.path(name)
            if not os.path.exists(path):
                continue
            seen = True
            try:
                state = read(path)
            except CheckpointError as error:
                self.warn(f"{path}: unreadable checkpoint ({error}); trying an older one")
                self._rejected.add(name)
                continue
            if state.get("fingerprint") != fingerprint:
                self.warn(f"{path}: written for other data or settings (fingerprint {str(state.get('fingerprint'))[:12]}, "
                          f"this run {fingerprint[:12]}); ignoring it")
                self._rejected.add(name)
                continue
            return state
        if seen:
            self.warn(f"{self.folder}: no usable checkpoint; training starts over")
        return None

    def save(self, state):
        os.makedirs(self.folder, exist_ok=True)
        self.ensure_owner()
        payload = runtime.save_tensors(state)
        data = _MAGIC + hashlib.sha256(payload).digest() + payload
        temporary = self.path(f"{LATEST}.tmp-{os.getpid()}")
        try:
            with open(temporary, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            # Rotate only once the new file is complete; a rejected latest is not worth keeping as the
            # fallback (the one this run resumed from, if any, is already the previous one).
            if os.path.exists(self.path(LATEST)) and LATEST not in self._rejected:
                os.replace(self.path(LATEST), self.path(PREVIOUS))
                self._rejected.discard(PREVIOUS)
            os.replace(temporary, self.path(LATEST))
            self._rejected.discard(LATEST)
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
        atomic.sync_folder(self.folder)

    def write_progress(self, step, total_steps):
        os.makedirs(self.folder, exist_ok=True)
        self.ensure_owner()
        # Only a display and an eviction trigger: an atomic rename is enough, an fsync per step is not worth it.
        atomic.write_json(self.path(PROGRESS), {"step": step, "totalSteps": total_steps}, durable=False)


class CheckpointError(Exception):
    pass


def read(path):
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as error:
        raise CheckpointError(error.strerror or str(error)) from None
    header = len(_MAGIC) + 32
    if len(data) < header or not data.startswith(_MAGIC):
        raise CheckpointError("not a causal_lm checkpoint, or cut short")
    payload = data[header:]
    if hashlib.sha256(payload).digest() != data[len(_MAGIC):header]:
        raise CheckpointError("checksum mismatch: truncated or damaged")
    try:
        state = runtime.load_tensors(payload, plain_values=True)
    except Exception as error:  # the bytes are ours (checksum matched), so this is a version skew
        raise CheckpointError(f"cannot unpickle: {type(error).__name__}: {error}") from None
    if not isinstance(state, dict) or "step" not in state:
        raise CheckpointError("payload is not a training state")
    return state


def attempt_from_environment():
    """The attempt number the job backend set, or None; a malformed value is a usage error naming the variable."""
    value = os.environ.get(ATTEMPT_VARIABLE, "")
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise UsageError(f"{ATTEMPT_VARIABLE} must be a positive whole number, got {value!r}")
    return int(value)
