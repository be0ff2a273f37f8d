"""Time ``strip_boilerplate`` on one plain-text news document of ~400 words in 7 paragraphs.

Usage (from the repository root)::

    .venv/bin/python benchmarks/extraction_strip_speed.py

The strip stage runs once per document on the pipeline's hot path (a target of
5,000 documents/s for the whole pipeline), so its cost per document matters on
its own. Two documents: a clean story (no rule fires: the common case), and the
same story with the usual syndication boilerplate (dateline, byline, caption,
teaser block, end mark). The best of several repeats is printed, in µs per
document, as CPU time of this process (other jobs on a shared machine count
less); speed figures come from here, never from a timed unit test.
"""

from __future__ import annotations

import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from cleanpipe.config import StripConfig
from cleanpipe.stages.strip import strip_boilerplate

CLEAN = [
    "The provincial council approved the new budget on Monday after a long debate among its "
    "members, who had argued for weeks over the share given to the rural districts of the "
    "north and to the fast-growing towns along the coast. In the end the members agreed to "
    "raise the rural share by a fifth, paid for by a smaller increase in the budget of the "
    "provincial administration itself.",
    "Officials said the extra spending would go to schools, roads and clean water projects in "
    "the poorest communes, where many families still walk for an hour to fetch water and "
    "children share one classroom between three grades.",
    "The plan still needs the approval of the national government, which is expected to "
    "review it next month together with the budgets of the other provinces. Last year the "
    "ministry sent back two of them, asking for cuts to the spending on new offices, and the "
    "council has since moved most of that money to health care.",
    "Farmers in the region welcomed the decision, saying that better roads would let them bring "
    "their rice, fruit and vegetables to the markets of the city before they spoil in the heat, "
    "and that a new bridge over the river would save them half a day on every trip.",
    "\u201cWe have waited ten years for this road,\u201d said Nguyen Van Binh, who grows "
    "dragon fruit on two hectares near the river. \u201cIn the rainy season the trucks cannot "
    "reach us at all, so the fruit rots on the trees while the traders wait in town.\u201d",
    "Teachers were more cautious. They said the money for schools was welcome but would not "
    "be enough to hire the staff the province lacks, and that new buildings without teachers "
    "would stand empty, as some built five years ago still do in the mountain districts. The "
    "teachers' union asked the council to set aside part of the money for housing, which it "
    "says would draw young teachers to the remote schools.",
    "The council will meet again in March to decide how the money is shared among the "
    "districts, and residents can send their comments until the end of February through the "
    "offices of their communes or the provincial website. The first contracts for the roads "
    "are expected to be signed before the summer, officials said.",
]
TITLE = "Council approves budget for schools and roads"
SYNDICATED = [
    f"Hanoi (VNA) - {CLEAN[0]}",
    "Workers repair a road in the province. (Photo: VNA)",
    *CLEAN[1:],
    "VNA",
    "Share this article",
    f"{CLEAN[6]} ./.",
    "See more",
    "Flood waters recede in the north",
    "Ministers meet to discuss the budget",
]


def main() -> int:
    config = StripConfig()
    print(f"clean document: {sum(len(p.split()) for p in CLEAN)} words, {len(CLEAN)} paragraphs")
    for name, doc in (("clean", CLEAN), ("syndicated", SYNDICATED)):
        runs = 2000
        best = min(
            timeit.repeat(
                lambda doc=doc: strip_boilerplate(doc, title=TITLE, config=config),
                number=runs,
                timer=time.process_time,
                repeat=5,
            )
        )
        print(f"{name:>10}: {best / runs * 1e6:7.1f} µs per document")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
