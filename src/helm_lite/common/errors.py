"""Errors a user can fix: the CLI prints them as one line and exits with status 2."""


class UserError(Exception):
    """Bad input (a file, entry, flag or name); the message must say which one."""


class RunFailedError(Exception):
    """A run failed while executing; other runs go on and the CLI reports it at the end."""


class NotImplementedInHelmLite(UserError):
    """A run entry HELM can run that helm_lite cannot (yet): the run-entry loader skips and counts it
    under `what` (e.g. ``commonsense:dataset=hellaswag``) instead of stopping the whole file."""

    def __init__(self, what: str, message: str | None = None) -> None:
        super().__init__(message or f"not implemented in helm_lite: {what}")
        self.what = what
