"""The emulator, forked by zygote.py: `python fork.py SOCKET EMULATOR-ARGS...`.

Hands this process's stdin, stdout and stderr and the arguments to the zygote listening on
SOCKET, then waits: it exits with the emulator's exit status, and when it is killed the zygote
kills the emulator. Only the standard library, so that it starts in milliseconds.
"""

import json
import socket
import sys

zygote = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
zygote.connect(sys.argv[1])
socket.send_fds(zygote, [json.dumps(sys.argv[2:]).encode()], [0, 1, 2])
status = zygote.recv(64)
sys.exit(int(status) if status else 1)
