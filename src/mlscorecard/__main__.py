"""`python -m mlscorecard` is the same as the `mlscorecard` command."""

from .cli import main

main()
