"""``python -m cleanpipe``: the command line."""

from cleanpipe.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
