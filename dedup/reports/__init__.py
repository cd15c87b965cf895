"""Renderers of a ScanResult: JSON (versioned schema) and a terminal summary."""
