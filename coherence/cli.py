"""``coherence`` console script: dispatches subcommands to the modules that implement them.

Each subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int`` (exit status).
Human output goes to stdout as a table; with ``--json`` stdout carries exactly one JSON document
and progress and logs go to stderr (docs/cli.md).
"""
from __future__ import annotations

import argparse
import importlib
import sys

#: subcommand -> (module implementing it, one-line help)
COMMANDS = {
    "check": ("proofs_check.runner", "run every claim and identity check (docs/theory.md sections 3, 5)"),
    "bench": ("coherence.bench", "measure fast paths against naive paths / peer libraries side by side"),
    "figures": ("simulations.figures", "regenerate figures, their data files and figures/manifest.json"),
    "explore": ("simulations.explore", "run one failure regime at chosen parameters and print a table"),
    "lm": ("simulations.lm.cli", "searches on real causal language models (needs the [lm] extra)"),
    "all": ("coherence.all_cmd", "the main job: every check, every figure and the claims table"),
}


def _load(name: str):
    module, _ = COMMANDS[name]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == module or module.startswith(exc.name + ".")):
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="coherence", description="Verify, by computation, the theory of self-improvement as coherence optimization.")
    parser.add_argument("--version", action="version", version=f"coherence {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        mod = _load(name)
        if mod is not None:
            mod.add_arguments(p)
        p.set_defaults(_module=mod, _name=name)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    if args._module is None:
        print(f"coherence {args._name}: not yet available in this version", file=sys.stderr)
        return 2
    try:
        return int(args._module.run(args) or 0)
    except ValueError as exc:  # bad input: a clear message, no traceback
        print(f"coherence {args._name}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ncoherence {args._name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
