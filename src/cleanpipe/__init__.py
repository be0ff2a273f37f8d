"""cleanpipe: clean and deduplicate scraped news articles.

A dump folder of scraped articles in, one canonical JSON record per distinct
article out. The library verbs mirror the command line::

    import cleanpipe
    report = cleanpipe.run("data/raw", "data/clean")        # cleanpipe run
    result = cleanpipe.clean(["text of one article", ...])   # in memory
    stripped = cleanpipe.strip_boilerplate(paragraphs)       # cleanpipe strip
    clusters = cleanpipe.find_duplicates(texts)
    for item in cleanpipe.iter_clean(rows, batch_size=1000): ...  # streaming, bounded memory
    findings = cleanpipe.check("data/clean")               # cleanpipe check
    page = cleanpipe.report("data/clean")                  # cleanpipe report: report.html
"""

from cleanpipe.check import check
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
    CheckFinding,
    DuplicateCluster,
    DuplicateOf,
    Origin,
    RawDocument,
    Rejection,
    Report,
    SkippedRecord,
    StripOutcome,
    StripResult,
)
from cleanpipe.pipeline import CleanResult, clean, run, strip_file
from cleanpipe.review import report
from cleanpipe.stages.dedup import find_duplicates
from cleanpipe.stages.strip import strip_boilerplate
from cleanpipe.stream import (
    documents_from_arrow,
    documents_from_hf,
    documents_from_pandas,
    iter_clean,
)

__version__ = "0.1.0"

__all__ = [
    "AccountingError",
    "Article",
    "CheckFinding",
    "CleanResult",
    "CleanpipeError",
    "Config",
    "ConfigError",
    "DuplicateCluster",
    "DuplicateOf",
    "InputError",
    "Origin",
    "OutputError",
    "RawDocument",
    "Rejection",
    "Report",
    "SkippedRecord",
    "StrictModeError",
    "StripOutcome",
    "StripResult",
    "__version__",
    "check",
    "clean",
    "documents_from_arrow",
    "documents_from_hf",
    "documents_from_pandas",
    "find_duplicates",
    "iter_clean",
    "load_config",
    "report",
    "run",
    "strip_boilerplate",
    "strip_file",
]
