"""A process killed at its Nth step: the prelude of the scripts the register's kill tests run.

A step is each SQL statement of a connection ``traced`` opens, and each call of the file
operations wrapped by ``stepping`` (os.replace, os.fsync and os.unlink always). The script is
run as ``python -c SCRIPT OUTBOX N``: it is killed (SIGKILL) at its Nth step, or prints what
it did when it has fewer.
"""

import textwrap

PRELUDE = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path

    outbox, stop, steps = Path(sys.argv[1]), int(sys.argv[2]), [0]

    def step():
        steps[0] += 1
        if steps[0] == stop:
            os.kill(os.getpid(), signal.SIGKILL)

    def stepping(call):
        def wrapped(*args, **kwargs):
            step()
            return call(*args, **kwargs)
        return wrapped

    def traced(module):
        connect = module.connect
        def opened(path):
            connection = connect(path)
            connection.set_trace_callback(lambda statement: step())
            return connection
        module.connect = opened

    os.replace, os.fsync, os.unlink = stepping(os.replace), stepping(os.fsync), stepping(os.unlink)
    """
)


def script(body: str) -> str:
    """``body`` (the work killed at a step) after the prelude."""
    return PRELUDE + textwrap.dedent(body)
