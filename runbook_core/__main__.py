"""`python -m runbook_core` and the `runbook` command.

Ctrl-C while the package is still loading is one line and exit 130 like Ctrl-C at any later
point: the package's names load lazily, so this runs before the heavy imports.
"""

import signal
import sys


def run() -> int:
    try:
        from .cli import main
    except KeyboardInterrupt:
        print("runbook: interrupted", file=sys.stderr)
        return 130
    code = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # done: Ctrl-C while exiting changes nothing
    return code


if __name__ == "__main__":
    sys.exit(run())
