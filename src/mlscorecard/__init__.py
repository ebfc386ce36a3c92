"""mlscorecard: score ML repositories against the ML Test Score and the ML System Robustness Score."""

__version__ = "0.1.0"
