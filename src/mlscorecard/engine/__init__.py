"""The analysis engine: what one file's bytes say (parsed Python, notebooks, literals, findings)."""
