"""Forks emulators for the test harness from one process that has already imported them.

An emulator started afresh spends about a second of CPU importing moto, botocore's service models
and emulator.py before it seeds anything (`--scenario dozen`: 3.2 CPU s started afresh, 2.1
forked from here), and the suite starts dozens. tests/support starts one zygote per test run;
each emulator is then `python fork.py SOCKET ARGS...`, a trampoline that hands its standard
streams and arguments to this process, which forks a child running emulator.py's main() on them.
The trampoline stands for the emulator: it exits with the emulator's exit status, and killing it
kills the emulator. benches/run.py and people start emulator.py directly, as before.

Usage: zygote.py   (prints the socket's path when ready; exits when its stdin closes)
"""

from __future__ import annotations

import io
import json
import os
import random
import select
import shutil
import signal
import socket
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boto3  # noqa: E402
import emulator  # noqa: E402  (the imports are the point)
from moto.backends import get_backend  # noqa: E402
from moto.moto_api._internal import mock_random  # noqa: E402

# What seeding and scans touch: their moto backends and botocore's models, loaded once here.
SERVICES = ["organizations", "sts", "iam", "cloudtrail", "s3", "kms", "logs", "cloudwatch", "sns"]


def warm() -> None:
    for service in SERVICES:
        get_backend(service)
        boto3.client(service, region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                     aws_access_key_id="warm", aws_secret_access_key="warm")


def run_emulator(streams: list[int], args: list[str]) -> None:
    """In the forked child: emulator.py's main() on the trampoline's stdin, stdout and stderr."""
    status = 0
    try:
        for target, fd in enumerate(streams):
            os.dup2(fd, target)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # the zygote's socket and other children's
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True)
        # A fork copies the random generators' state: without this every emulator would make the
        # same "random" ids (moto's account and resource ids come from mock_random), and tests that
        # combine two emulators' organizations would see one.
        mock_random.seed()
        random.seed()
        sys.argv = ["emulator.py", *args]
        emulator.main()
    except SystemExit as exit:
        status = exit.code if isinstance(exit.code, int) else 1
    except BaseException:  # noqa: BLE001  (reported as a fresh process would report it)
        traceback.print_exc()
        status = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(status)


def exit_status(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def main() -> None:
    warm()
    directory = tempfile.mkdtemp(prefix="orgtrail-zygote-")
    path = os.path.join(directory, "socket")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    print(path, flush=True)

    pids: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (emulator's pid, its trampoline)
    trampolines: dict[socket.socket, int] = {}  # the ones still connected -> their emulator's pid
    try:
        while True:
            watched = [sys.stdin, listener, *trampolines, *pids]
            for ready in select.select(watched, [], [])[0]:
                if ready is sys.stdin:
                    if not sys.stdin.readline():
                        return  # the test run is over (or died): so are its emulators
                elif ready is listener:
                    trampoline, _ = listener.accept()
                    message, streams, _, _ = socket.recv_fds(trampoline, 1 << 16, 3)
                    if len(streams) != 3:  # the trampoline died before it asked: nothing to fork
                        for fd in streams:
                            os.close(fd)
                        trampoline.close()
                        continue
                    pid = os.fork()
                    if pid == 0:
                        run_emulator(streams, json.loads(message))
                    for fd in streams:
                        os.close(fd)
                    pids[os.pidfd_open(pid)] = (pid, trampoline)
                    trampolines[trampoline] = pid
                elif isinstance(ready, int):  # an emulator exited: its trampoline exits the same
                    pid, trampoline = pids.pop(ready)
                    os.close(ready)
                    trampolines.pop(trampoline, None)
                    try:
                        trampoline.sendall(str(exit_status(pid)).encode())
                    except OSError:
                        pass
                    trampoline.close()
                elif ready in trampolines and ready.recv(1) == b"":
                    # The trampoline was killed (the harness dropped the emulator): so is this.
                    os.kill(trampolines.pop(ready), signal.SIGKILL)
    finally:
        for pid, _ in pids.values():
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
