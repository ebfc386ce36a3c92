"""Detectors read a Snapshot and produce raw facts. Rules (heuristics/rules/*.yaml) turn facts into evidence."""
