"""Run native code that may crash or hang on hostile input in a child process that may die.

libcst's parser (Rust) is the one native parser mlscorecard hands repository text to that the
running interpreter has not already accepted; a stack overflow in it kills its process. Where the
platform can fork, the call runs in a forked child (cheap: copy-on-write, nothing re-imported) and
its death, a timeout or running past its memory limit (RLIMIT_AS: the parent's size plus
MEMORY_HEADROOM) becomes a NativeCrash for that one file; elsewhere it runs in-process.
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
# The child may grow this much beyond the parent's address space (a backtracking parse of a
# small hostile file can ask for gigabytes); past it, allocation fails and the child dies.
MEMORY_HEADROOM = 320 << 20


def _limit_memory(headroom: int) -> None:
    try:
        import resource

        with open("/proc/self/statm") as f:
            size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = size + headroom
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (OSError, ValueError, ImportError):  # not Linux: no limit but the timeout
        pass


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
            _limit_memory(MEMORY_HEADROOM)
            try:
                payload = pickle.dumps(("ok", fn(*args)))
            except MemoryError:  # the child's memory limit: the same as a native allocation failure
                payload = pickle.dumps(("crash", f"ran out of memory (more than {MEMORY_HEADROOM >> 20} MiB)"))
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
    except BaseException:  # our own time limit, or an interrupt: the child goes too
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    if not chunks:
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGABRT:
            raise NativeCrash("crashed (SIGABRT: out of memory, or an abort)")
        if os.WIFSIGNALED(status):
            raise NativeCrash(f"crashed ({signal.Signals(os.WTERMSIG(status)).name})")
        raise NativeCrash(f"exited with status {os.WEXITSTATUS(status)} without a result")
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "crash":
        raise NativeCrash(value)
    if kind == "error":
        raise value
    return value
