"""The two ways a job fails on purpose; everything else is a bug and keeps its traceback."""


class JobError(Exception):
    """Bad data, checkpoint, model folder or environment (exit 1); the message names what and where."""


class UsageError(Exception):
    """A command line the user got wrong (exit 2); the message names the option and why."""


class FencedError(Exception):
    """A later attempt of the same job owns the checkpoints (exit 3): this attempt stops without writing."""
