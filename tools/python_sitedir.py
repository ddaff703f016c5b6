#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""python_sitedir.py PREFIX - where `make install` puts the etltrace
package for the interpreter running this script and an install PREFIX.

The directory this interpreter already reads for PREFIX, if there is one:
the first entry of sys.path among site.getsitepackages([PREFIX]) under
PREFIX/lib (Debian's python3 and /usr/local: /usr/local/lib/python3.11/
dist-packages; Debian's python3 and /usr: /usr/lib/python3/dist-packages).
Otherwise the interpreter's standard layout under PREFIX
(PREFIX/lib/python3.X/site-packages), which then has to be added to
PYTHONPATH.
"""

import os
import site
import sys
import sysconfig


def sitedir(prefix):
    prefix = os.path.normpath(prefix)
    candidates = set(site.getsitepackages([prefix]))
    for entry in sys.path:
        if entry in candidates and entry.startswith(prefix.rstrip("/") + "/lib/"):
            return entry
    return sysconfig.get_path("purelib", "posix_prefix",
                              {"base": prefix, "platbase": prefix})


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].startswith("/"):
        sys.exit("usage: python_sitedir.py ABSOLUTE_PREFIX")
    print(sitedir(sys.argv[1]))
