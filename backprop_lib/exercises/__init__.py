"""Checkers for the notebooks' exercises: one module per notebook.

Each checker takes the learner's answer (a value, an array or a function) and returns a
:class:`CheckResult`: "not attempted" while the stub is untouched, "correct", or
"incorrect" with a specific hint (a shape mix-up, a missing transpose, a forgotten mean...).
"""

from ._check import CheckResult, compare_arrays, correct, incorrect, not_attempted, run_answer

__all__ = ["CheckResult", "compare_arrays", "correct", "incorrect", "not_attempted", "run_answer"]
