"""``coherence`` console script: dispatches subcommands to the modules that implement them.

Each subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int`` (exit status).
Human output goes to stdout as a table; with ``--json`` stdout carries exactly one JSON document
and progress and logs go to stderr (docs/cli.md).

The subcommand modules are imported explicitly: a module of the project that is missing is an
error (an ``ImportError`` at start-up), never a silently shorter command list. Only third-party
packages of an optional extra (``[lm]``, ``[dask]``, ``[peers]``) may be absent; the command then
still appears in ``--help`` and, when run, exits 2 naming the extra to install.

Exit codes: 0 success, 1 a result differs from its expectation (or a figure failed),
2 bad usage, a missing extra or a failed model server (one line on stderr naming the argument
or the server, no traceback),
130 interrupted (Ctrl-C; finished work is kept and a rerun resumes, docs/reliability.md).
"""
from __future__ import annotations

import argparse
import sys

from coherence import all as all_cmd
from coherence import bench, check, explore, figures
from simulations.lm.backends.http_client import ServerError

#: top-level third-party modules -> the optional extra that installs them (pyproject.toml)
EXTRA_OF = {
    "torch": "lm", "transformers": "lm", "gguf": "lm", "accelerate": "lm", "sentencepiece": "lm",
    "google": "lm", "safetensors": "lm", "tokenizers": "lm", "huggingface_hub": "lm",
    "dask": "dask", "distributed": "dask",
    "constriction": "peers", "pgmpy": "peers",
}


def extra_for(exc: ImportError) -> str | None:
    """The optional extra whose absence raised ``exc`` (None for anything else, e.g. a missing
    module of the project itself, which stays an error)."""
    name = getattr(exc, "name", None) or ""
    return EXTRA_OF.get(name.split(".")[0])


def missing_extra_message(extra: str, exc: ImportError) -> str:
    return (f"needs the [{extra}] extra (missing module {exc.name!r}): "
            f"pip install -e '.[{extra}]'  (or pip install 'coherence-toolkit[{extra}]')")


class MissingExtra:
    """Stands in for a subcommand module whose optional extra is not installed: the command is
    listed, accepts any arguments, and :meth:`run` raises the original ``ImportError``."""

    def __init__(self, exc: ImportError):
        self.exc = exc

    def add_arguments(self, p) -> None:
        p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    def run(self, args) -> int:
        raise self.exc


def _lm_module():
    # the lm command's own module is part of the project; only its extra's packages may be missing
    try:
        from coherence import lm as lm_cmd
    except ImportError as exc:
        if extra_for(exc) != "lm":
            raise
        return MissingExtra(exc)
    return lm_cmd


def commands() -> dict:
    """subcommand -> (module, one-line help), in --help order."""
    return {
        "check": (check, "run every claim and identity check (docs/theory.md sections 3, 5)"),
        "bench": (bench, "measure fast paths against naive paths / peer libraries side by side"),
        "figures": (figures, "regenerate figures, their data files and figures/manifest.json"),
        "explore": (explore, "run one failure regime at chosen parameters and print a table"),
        "lm": (_lm_module(), "searches on real causal language models (needs the [lm] extra)"),
        "all": (all_cmd, "the main job: every check, every figure and the claims table"),
    }


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2), like every other bad input."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(argv=None) -> argparse.ArgumentParser:
    """The parser; a subcommand's ``help_epilog()`` (e.g. explore's list of regimes, which imports
    every experiment) is built only when ``argv`` asks for help."""
    from . import __version__

    wants_help = argv is None or any(a in ("-h", "--help") for a in argv)

    parser = OneLineParser(prog="coherence", description="Verify, by computation, the theory of self-improvement "
                                                         "as coherence optimization.")
    parser.add_argument("--version", action="version", version=f"coherence {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (mod, help_text) in commands().items():
        epilog = mod.help_epilog() if wants_help and hasattr(mod, "help_epilog") else None
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=epilog,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        p.set_defaults(_module=mod, _name=name)
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args._module.run(args) or 0)
    except (ValueError, ServerError) as exc:  # bad input or a failed server: one clear line, no traceback
        print(f"coherence {args._name}: error: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        extra = extra_for(exc)
        if extra is None:       # a module of the project itself is missing: a real error
            raise
        print(f"coherence {args._name}: error: {missing_extra_message(extra, exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ncoherence {args._name}: interrupted (finished work is kept; rerun to resume)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
