"""Child-process entry point of the parallel search: ``python -m sejuk.analytics.routing._worker``.

The parent writes one pickled job to stdin and reads one pickled result from
stdout. A plain subprocess, rather than :mod:`multiprocessing`, because spawn
and forkserver re-import the caller's ``__main__`` (scripts without a main guard
would run twice) and fork is unsafe in threaded web and task processes.
"""

from __future__ import annotations

import pickle
import sys


def main() -> None:
    out = sys.stdout.buffer
    # Anything a library prints must not corrupt the result stream.
    sys.stdout = sys.stderr
    from sejuk.analytics.routing._pyvrp import worker

    # The job comes from our own parent process through a pipe, never from outside.
    job = pickle.load(sys.stdin.buffer)  # noqa: S301
    result = worker(job)
    pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


if __name__ == "__main__":
    main()
