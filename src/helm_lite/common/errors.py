"""Errors a user can fix: the CLI prints them as one line and exits with status 2."""


class UserError(Exception):
    """Bad input (a file, entry, flag or name); the message must say which one."""


class RunFailedError(Exception):
    """A run failed while executing; other runs go on and the CLI reports it at the end."""
