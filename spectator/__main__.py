"""`python -m spectator`: the window, or `--text` / `--jsonl` lines on stdout."""

from __future__ import annotations

import sys

from spectator.cli import build_parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.text or args.jsonl:
        if not args.match:
            print("error: --text and --jsonl need --match", file=sys.stderr)
            return 2
        from spectator import text

        return text.run(args)
    from spectator import app  # pygame is imported only for the window

    return app.run(args)


if __name__ == "__main__":
    sys.exit(main())
