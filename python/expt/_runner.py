"""A function trial in a fresh interpreter: ``python -m expt._runner module:function``.

How Expt runs ``python: {function: ..., mode: fresh}`` (and how to run one trial of a function by hand): the module is
imported, the function called with the trial's parameters, its returned dict kept as results. An exception prints the
trial's error (the user's frames of the traceback) and exits 1.
"""

import sys

from ._call import call, format_error, load_function


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print("usage: python -m expt._runner module:function [name=value ...]", file=sys.stderr)
        return 2
    try:
        function = load_function(argv[1])
    except Exception as error:  # the user's import failed: say why, as a trial error
        print(format_error(error), file=sys.stderr)
        return 1
    try:
        call(function)
    except Exception as error:
        print(format_error(error), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[:2]))
