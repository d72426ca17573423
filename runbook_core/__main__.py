"""`python -m runbook_core` and the `runbook` command.

Ctrl-C while the package is still loading is one line and exit 130 like Ctrl-C at any later
point: the package's names load lazily and nothing else is imported before the `try`.
"""

import sys


def _interrupt_again(unraisable: "sys.UnraisableHookArgs") -> None:
    """Ctrl-C that lands in a callback Python runs for itself (a weak reference's, as a module
    finishes loading) is printed as "Exception ignored", with a traceback, and is otherwise lost.
    Deliver it again a moment later, outside the callback, as if Ctrl-C had come then."""
    if not isinstance(unraisable.exc_value, KeyboardInterrupt):
        sys.__unraisablehook__(unraisable)
        return
    import signal

    if not hasattr(signal, "setitimer"):  # Windows: no timer to deliver it with
        print(
            "runbook: Ctrl-C came as a module loaded and was lost: press it again",
            file=sys.stderr,
        )
        return
    signal.signal(signal.SIGALRM, _deliver_interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.001)


def _deliver_interrupt(signum: int, frame: object) -> None:
    """Whatever handles Ctrl-C now handles it: it raises, or holds it while a file is replaced,
    or ignores it once the command is done."""
    import signal

    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, None)  # no handler of ours reads the frame


def run() -> int:
    sys.unraisablehook = _interrupt_again
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
