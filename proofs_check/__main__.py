"""``python -m proofs_check [--quick] [--only ID ...] [--json|--markdown|--list]``: the same as
``coherence check``, without loading the other subcommands."""
import argparse
import sys

from .runner import add_arguments, run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proofs_check", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except ValueError as exc:
        print(f"proofs_check: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:       # finished checks are kept (proofs_check.runner): rerun to resume
        return 130


if __name__ == "__main__":
    sys.exit(main())
