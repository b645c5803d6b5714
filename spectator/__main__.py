"""`python -m spectator`: the window, or `--text` / `--jsonl` lines on stdout."""

from __future__ import annotations

import sys

from game.kafka import MATCH_NAME
from spectator.cli import build_parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("from_offset", "to_offset", "replay"):
        value = getattr(args, name)
        if value is not None and value < (1 if name == "replay" else 0):
            parser.error(f"--{name.replace('_', '-')} must be {'1' if name == 'replay' else '0'} or more")
    if args.match is not None and not MATCH_NAME.match(args.match):
        parser.error("--match must be 1-64 letters, digits, '-' or '_'")
    if args.replay is not None and not args.history:
        parser.error("--replay N needs --history (or use --match M --from-offset X)")
    if args.history:
        from spectator import history

        return history.run(args)
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
