"""`helm-server`: browse a suite's results (leaderboard, runs, instances, plots) in a local web page."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from helm_lite.cli.common import ArgumentParser, fail, path_component, setup_logging
from helm_lite.cli.helm_flags import add_helm_server_flags, apply_helm_flags

PROG = "helm-server"
logger = logging.getLogger("helm_lite")


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number (0-65535), got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number (0-65535), got {text!r}")
    return value


def host_name(text: str) -> str:
    """A bare host name or address for --allowed-host (no scheme, port, path or spaces)."""
    name = text.strip()
    bare = name[1:-1] if name.startswith("[") and name.endswith("]") else name
    if not bare or not bare.isascii() or any(c.isspace() or c in "/@\\[]" for c in bare):
        raise argparse.ArgumentTypeError(f"expected a host name or address, got {text!r}")
    if ":" in bare and not name.startswith("[") and bare.count(":") == 1:
        raise argparse.ArgumentTypeError(f"expected a host name without a port, got {text!r}")
    return name


def build_parser() -> argparse.ArgumentParser:
    from helm_lite.cli.help_format import examples

    p = ArgumentParser(
        prog=PROG,
        description="Serve a read-only web view of helm-run results.",
        epilog=examples(
            "helm-server                         # the suite with the newest run, on 127.0.0.1:8000",
            "helm-server --suite demo --port 8080",
        ),
    )
    p.add_argument(
        "--suite",
        "--suites",
        dest="suites",
        nargs="+",
        type=path_component,
        default=None,
        metavar="SUITE",
        help="suite(s) to serve, folders of <output-path>/runs/ (default: the suite with the newest run)",
    )
    p.add_argument("-o", "--output-path", default="benchmark_output", help="root output directory")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 exposes the results)",
    )
    p.add_argument("-p", "--port", type=port_number, default=8000, help="port (0 picks a free one)")
    p.add_argument(
        "--allowed-host",
        dest="allowed_hosts",
        action="append",
        type=host_name,
        default=[],
        metavar="NAME",
        help="also answer requests addressed to NAME (a host name or address, e.g. this machine's name "
        "when listening on 0.0.0.0); repeatable. Loopback names and --host are always allowed",
    )
    p.add_argument(
        "--schema-path",
        default=None,
        metavar="PATH",
        help="presentation schema YAML: main metrics and their direction, as for helm-summarize "
        "(default: the packaged schema_lite.yaml)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log every request")
    add_helm_server_flags(p)
    return p


def pick_suites(output_path: str, requested: list[str] | None) -> list[str]:
    """The requested suites (each must exist), or the suite with the newest run."""
    from helm_lite.cli.suites import resolve_suites
    from helm_lite.common.errors import UserError

    try:
        return resolve_suites(output_path, requested)
    except UserError as e:
        fail(PROG, str(e))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    apply_helm_flags(PROG, args)
    setup_logging(args.verbose)
    if not os.path.isdir(args.output_path):
        fail(PROG, f"--output-path: no such directory: {args.output_path!r}")
    suites = pick_suites(args.output_path, args.suites)

    from helm_lite.common.errors import UserError
    from helm_lite.server.app import create_server, is_loopback
    from helm_lite.server.errors import ServeError

    try:
        server = create_server(
            args.output_path,
            suites if args.suites else None,  # without --suite: every suite, new ones included
            host=args.host,
            port=args.port,
            allowed_hosts=args.allowed_hosts,
            schema_path=args.schema_path,
            default_suite=suites[0],
        )
    except UserError as e:
        fail(PROG, f"--schema-path: {e}")
    except ServeError:  # a suite folder that is a symlink leading out of <output-path>/runs
        runs_dir = os.path.join(args.output_path, "runs")
        fail(PROG, f"--suite: refused: a suite folder leads outside {runs_dir} (a symlink?)")
    except OSError as e:
        fail(PROG, f"cannot listen on {args.host}:{args.port}: {e.strerror or e}")
    if not is_loopback(args.host):
        print(
            f"{PROG}: warning: listening on {args.host}: anyone who can reach this machine can read "
            "the results",
            file=sys.stderr,
        )
    label = ", ".join(repr(s) for s in suites)
    word = "suite" if len(suites) == 1 else "suites"
    print(f"Serving {word} {label} from {os.path.join(args.output_path, 'runs')}")
    print(f"Go to {server.url}/ to view the results (Ctrl-C stops the server).", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
