"""Container formats: WARC records in (``warc``), serialised records out (``output``).

Pure functions over bytes and binary streams; ``read.py`` opens the files and
``write.py`` writes them.
"""
