"""The per-document and cross-corpus stages, in pipeline order."""
