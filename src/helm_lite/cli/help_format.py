"""`--help` text that shows each flag's default and keeps the example commands' line breaks."""

from __future__ import annotations

import argparse


class DefaultsHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Appends `(default: X)` to a flag's help when X says something.

    argparse's own ArgumentDefaultsHelpFormatter also prints `(default: None)`, `(default: False)`
    and `(default: [])`, which only add noise; help text that already names its default is left
    alone. The description and epilog keep their line breaks (the epilog holds example commands).
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or default is None
            or default is argparse.SUPPRESS
            or isinstance(default, bool)
            or default in ([], ())
            or not action.option_strings
        ):
            return text
        return f"{text} (default: %(default)s)"


def examples(*commands: str) -> str:
    """An epilog listing example commands, one per line."""
    return "examples:\n" + "\n".join(f"  {c}" for c in commands)
