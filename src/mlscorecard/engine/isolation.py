"""Run native code that may crash or hang on hostile input in a child process that may die.

libcst's parser (Rust) is the one native parser mlscorecard hands repository text to that the
running interpreter has not already accepted; a stack overflow in it kills its process. Where the
platform can fork, the call runs in a forked child (cheap: copy-on-write, nothing re-imported) and
its death or a timeout becomes a NativeCrash for that one file; elsewhere it runs in-process.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import select
import signal
import time
from typing import Any, Callable

TIMEOUT_SECONDS = 20.0


class NativeCrash(Exception):
    """The isolated call died (a signal or an exit without a result) or ran out of time."""


def run_isolated(fn: Callable[..., Any], *args: Any, timeout: float = TIMEOUT_SECONDS) -> Any:
    if not hasattr(os, "fork") or os.environ.get("MLSCORECARD_NO_FORK"):
        return fn(*args)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running any parent cleanup
        code = 0
        try:
            os.close(read_end)
            faulthandler.disable()  # a crash here is reported by the parent, not dumped on the terminal
            try:
                payload = pickle.dumps(("ok", fn(*args)))
            except BaseException as exc:  # an ordinary exception is the caller's to see
                payload = pickle.dumps(("error", exc))
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                raise NativeCrash(f"took longer than {timeout:.0f} s")
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    if not chunks:
        if os.WIFSIGNALED(status):
            raise NativeCrash(f"crashed ({signal.Signals(os.WTERMSIG(status)).name})")
        raise NativeCrash(f"exited with status {os.WEXITSTATUS(status)} without a result")
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "error":
        raise value
    return value
