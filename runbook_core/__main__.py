"""`python -m runbook_core` and the `runbook` command.

Ctrl-C while the package is still loading is one line and exit 130 like Ctrl-C at any later
point: the package's names load lazily and nothing else is imported before the `try`.
"""

import sys


def run() -> int:
    try:
        import signal

        from .cli import main

        code = main()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # done: Ctrl-C while exiting changes nothing
    except KeyboardInterrupt:  # while loading, or as main returned
        print("runbook: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # Ctrl-C wrapped while a module loads (Python 3.11): same answer
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, KeyboardInterrupt):
            cause = cause.__cause__ or cause.__context__
        if cause is None:
            raise
        print("runbook: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(run())
