"""statusguard's benchmark suite: per-response cost side by side, as ratios.

Run it with ``.venv/bin/python -m benchmarks.run`` (``--help`` for the options).  Every
comparison runs all its contenders in one process, interleaved round by round, and reports
medians and ratios, so the numbers hold on a small, noisy machine.  Benchmarks are not tests:
the test suite only runs each benchmark once with a tiny iteration count.
"""
