"""cleanpipe: clean and deduplicate scraped news articles.

A dump folder of scraped articles in, one canonical JSON record per distinct
article out. The library verbs mirror the command line::

    import cleanpipe
    report = cleanpipe.run("data/raw", "data/clean")        # cleanpipe run
    result = cleanpipe.clean(["text of one article", ...])   # in memory
    stripped = cleanpipe.strip_boilerplate(paragraphs)       # cleanpipe strip
    clusters = cleanpipe.find_duplicates(texts)
"""

from cleanpipe.config import Config, load_config
from cleanpipe.errors import (
    AccountingError,
    CleanpipeError,
    ConfigError,
    InputError,
    OutputError,
    StrictModeError,
)
from cleanpipe.models import (
    Article,
    DuplicateCluster,
    Origin,
    RawDocument,
    Rejection,
    Report,
    StripOutcome,
    StripResult,
)
from cleanpipe.pipeline import CleanResult, clean, run, strip_file
from cleanpipe.stages.dedup import find_duplicates
from cleanpipe.stages.strip import strip_boilerplate

__version__ = "0.1.0"

__all__ = [
    "AccountingError",
    "Article",
    "CleanResult",
    "CleanpipeError",
    "Config",
    "ConfigError",
    "DuplicateCluster",
    "InputError",
    "Origin",
    "OutputError",
    "RawDocument",
    "Rejection",
    "Report",
    "StrictModeError",
    "StripOutcome",
    "StripResult",
    "__version__",
    "clean",
    "find_duplicates",
    "load_config",
    "run",
    "strip_boilerplate",
    "strip_file",
]
