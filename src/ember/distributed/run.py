"""Start a program in several processes: `python -m ember.distributed.run -n 4 train.py args...`.

A thin wrapper over MPI's launcher: it replaces itself with
`mpiexec -n 4 <this python> train.py args...`, using the mpiexec installed next to this Python
(MPICH's wheel puts it there) or else the first on PATH. Options before the program other than
`-n` go to mpiexec as they are (e.g. `-f hosts` for several machines).
"""
import os
import shutil
import sys

USAGE = "usage: python -m ember.distributed.run -n N [mpiexec options] program.py [args...]"


def find_mpiexec():
    """The mpiexec beside this Python (a virtual environment's bin/) or else on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    return shutil.which("mpiexec")


def command(argv):
    """The mpiexec command line for this module's arguments `argv`."""
    processes, options, rest = None, [], list(argv)
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        if option in ("-n", "-np", "--nproc-per-node", "--nproc_per_node") and rest:
            processes = rest.pop(0)
        elif option.startswith(("--nproc-per-node=", "--nproc_per_node=")):
            processes = option.split("=", 1)[1]
        else:
            options.append(option)
            if rest and not rest[0].startswith("-") and not rest[0].endswith(".py"):
                options.append(rest.pop(0))        # the option's value, e.g. `-f hosts`
    if processes is None or not processes.isdigit() or int(processes) < 1 or not rest:
        raise SystemExit(USAGE)
    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise SystemExit("mpiexec was not found: pip install ember[dist] (MPICH's wheel "
                         "brings one) or install an MPI library")
    return [mpiexec, "-n", processes] + options + [sys.executable] + rest


def main(argv=None):
    args = command(sys.argv[1:] if argv is None else argv)
    sys.stdout.flush()
    os.execv(args[0], args)


if __name__ == "__main__":
    main()
