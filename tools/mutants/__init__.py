"""Mutation testing of the lessons' checks: do the cases catch small wrong versions of each piece?

`python -m tools.mutants` (or `make mutants`) mutates every piece's reference (mutate.py), registers
each mutant as the learner's code exactly as an `@implement` block does, runs that piece's cases in
a forked, time- and memory-limited child (sandbox.py) and prints caught/total per piece and lesson
(run.py). Equivalent mutants are listed with a one-line reason in equivalents.json.
"""

import os

# forked children and a threaded BLAS do not mix; one thread is also what the browser has
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
