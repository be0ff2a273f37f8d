"""Algorithms that know nothing of articles: shingles, MinHash, LSH banding, union-find."""
