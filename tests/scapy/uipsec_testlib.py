"""Shared scaffolding for the Python tests in this folder (not a test
itself: ctest runs test_*.py only): where the built programs are, a check()
that records failures instead of stopping at the first, and a runner for
the uipsec command line."""
import os
import subprocess

BUILD = os.environ.get("UIPSEC_BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
UIPSEC = os.path.join(BUILD, "uipsec")

failures = []


def check(cond, what):
    """Record a failure (and print it) when cond is false; returns cond."""
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    return cond


def run(args):
    """Run uipsec with args; returns (exit code, stdout, stderr)."""
    p = subprocess.run([UIPSEC] + args, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def report():
    """The exit code for main(): 1 and a count when anything failed."""
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0
