# ruff: noqa: E501  (template sentences are data; wrapping them would obscure the prose)
"""Generate a reproducible labelled near-duplicate corpus of news-like articles.

Every document belongs to a *story* (its label, ``cluster``); documents of one
story are copies of one article, documents of different stories are not. The
text is procedural English-like news prose (no downloads): a small grammar over
an embedded vocabulary, per-story topic words, invented names and figures.

Copies of a story (``kind``):
    original    the article, ~400 words in 5-9 paragraphs
    exact       byte-identical copy
    syndicated  dateline prefix, byline, photo caption and a "Read more" teaser block
    updated     some figures changed and one paragraph added
    truncated   cut after 70-90% of its words, with an ellipsis
    reflowed    hard-wrapped lines, doubled spaces, straight quotes
    synd_reflow / synd_trunc   combinations

Hard negatives (different stories that look alike):
    * the teaser blocks of syndicated copies come from a small shared pool, and
      10% of originals carry one too;
    * 20% of stories are *template* stories (market, weather, results,
      currency, earnings): fixed template sentences with slots and a fixed
      boilerplate paragraph shared by every story of the family, plus 2-3
      paragraphs of their own.

Usage::

    python benchmarks/make_corpus.py --docs 10000 --seed 1 --out corpus.jsonl

Each line: ``{"id": 0, "cluster": 0, "kind": "original", "text": "..."}``.
The same ``--docs`` and ``--seed`` always give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# fmt: off
_NOUNS = """government ministry province city district company market price rate farmer worker
official minister president council committee project plan programme policy budget tax
export import trade investment investor bank loan credit growth economy industry factory
plant product output demand supply rice coffee seafood fruit vegetable harvest season crop
land water river delta coast port road bridge railway airport flight passenger tourist
visitor hotel school student teacher university hospital doctor patient health vaccine
disease outbreak case test storm flood rain drought temperature weather forecast power
electricity energy solar wind gas oil fuel technology software network internet data
system service customer user phone device car vehicle traffic accident police court judge
law regulation rule decision agreement deal contract partner partnership cooperation
delegation meeting conference summit forum event festival culture heritage museum art
artist music film team player match league championship coach goal season record result
report survey study research scientist expert analyst figure quarter month week year
percent share stock fund revenue profit loss cost spending debt deficit surplus currency
dollar household family child resident community village commune area region border sea
island forest environment pollution waste plastic emission climate change protection
security defence army ship vessel fishermen catch species wildlife park construction
building housing apartment property developer contractor material steel cement shipment
container warehouse logistics""".split()  # noqa: SIM905
_VERBS = """approved announced launched signed completed reported recorded reached increased reduced
raised cut expanded opened closed built received provided supported urged called asked
welcomed discussed reviewed proposed rejected confirmed denied revealed showed suggested
estimated expected planned delayed resumed suspended improved boosted attracted exported
imported produced delivered shipped invested allocated spent earned lost won hosted
visited inspected promoted encouraged warned predicted introduced adopted issued released""".split()  # noqa: SIM905
_ADJS = """new major local national international regional key main large small rapid strong weak
stable sustainable green digital modern traditional rural urban coastal northern southern
central eastern western annual monthly domestic foreign public private high low
significant early late initial final further additional total average record special
important difficult favourable serious heavy limited active potential competitive
effective""".split()  # noqa: SIM905
_PREPS = """in for with from across under during after before near among beyond""".split()  # noqa: SIM905
_DETS = ["the", "the", "the", "a", "this", "its", "their", "every", "some", "many"]
_ROLES = ["chairman", "director", "spokesperson", "deputy minister", "head", "chief executive",
          "vice president", "secretary", "general manager", "senior analyst"]
_UNITS = ["tonnes", "hectares", "visitors", "cases", "units", "million dollars", "billion dong",
          "megawatts", "households", "kilometres", "containers", "jobs"]
_AGENCIES = ["VNA", "AFP", "Reuters", "AP", "Xinhua", "Bernama", "Kyodo", "ANTARA"]
_MONTHS = ["Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov",
           "Dec"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_SYLLABLES = """ba an bi lo ka ren tu ma ho ng vi et san dor lin mer ta so qui nam hai phu gia kor el ran
tos bel mi ra den hu lan cho sen ter vo da nu kel zar pol""".split()  # noqa: SIM905
_CONNECTIVES = ["Meanwhile,", "However,", "In addition,", "Last year,", "Earlier this month,",
                "At the same time,", "According to the report,", "Since then,", "As a result,",
                "In the first half,"]
# fmt: on

_KINDS = (
    "exact",
    "syndicated",
    "updated",
    "truncated",
    "reflowed",
    "synd_reflow",
    "synd_trunc",
)
_KIND_WEIGHTS = (8, 30, 20, 12, 12, 10, 8)
# Copies per story: half the stories are alone, a few are syndicated widely.
_COPIES = (0, 1, 2, 3, 4, 6, 8)
_COPY_WEIGHTS = (50, 20, 12, 8, 5, 3, 2)
_TEASER_POOL = 40
_TEMPLATE_FAMILIES = ("market", "weather", "results", "currency", "earnings")


@dataclass(frozen=True, slots=True)
class CorpusDoc:
    """One labelled document."""

    id: int
    cluster: int
    kind: str
    text: str


def _name(rng: random.Random, parts: int = 2) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()


def _person(rng: random.Random) -> str:
    return f"{_name(rng, rng.randint(1, 2))} {_name(rng, rng.randint(2, 3))}"


def _number(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return f"{rng.randint(2, 99)}.{rng.randint(1, 9)}"
    if roll < 0.8:
        return f"{rng.randint(1, 999):,}"
    return f"{rng.randint(1000, 999999):,}"


class _Story:
    """A story's own words: topic words and named entities."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.nouns = rng.sample(_NOUNS, 30)
        self.verbs = rng.sample(_VERBS, 15)
        self.adjs = rng.sample(_ADJS, 15)
        self.people = [_person(rng) for _ in range(3)]
        self.orgs = [
            f"{_name(rng)} {rng.choice(['Group', 'Corporation', 'Ministry', 'Association', 'Authority', 'Institute'])}"
            for _ in range(2)
        ]
        self.place = _name(rng, rng.randint(2, 3))

    def noun_phrase(self) -> str:
        rng = self.rng
        words = [rng.choice(_DETS)]
        if rng.random() < 0.5:
            words.append(rng.choice(self.adjs if rng.random() < 0.7 else _ADJS))
        words.append(rng.choice(self.nouns if rng.random() < 0.75 else _NOUNS))
        if rng.random() < 0.35:
            words += [rng.choice(_PREPS), "the", rng.choice(self.nouns)]
        return " ".join(words)

    def sentence(self) -> str:
        rng = self.rng
        roll = rng.random()
        verb = rng.choice(self.verbs if rng.random() < 0.7 else _VERBS)
        core = f"{self.noun_phrase()} {verb} {self.noun_phrase()}"
        if roll < 0.2:
            who = rng.choice(self.people)
            text = f"{who}, {rng.choice(_ROLES)} of the {rng.choice(self.orgs)}, said {core}"
        elif roll < 0.4:
            text = (
                f"{core}, which rose by {_number(rng)} percent to {_number(rng)} "
                f"{rng.choice(_UNITS)} in {self.place}"
            )
        elif roll < 0.55:
            text = f"{rng.choice(_CONNECTIVES)} {core} {rng.choice(_PREPS)} {self.noun_phrase()}"
        elif roll < 0.65:
            text = f"According to the {rng.choice(self.orgs)}, {core} on {rng.choice(_DAYS)}"
        elif roll < 0.75:
            text = f'"{core[0].upper()}{core[1:]}," {rng.choice(self.people)} told reporters'
        else:
            text = f"{core} {rng.choice(_PREPS)} {self.noun_phrase()}"
        return text[0].upper() + text[1:] + "."

    def paragraph(self, sentences: int) -> str:
        return " ".join(self.sentence() for _ in range(sentences))

    def headline(self) -> str:
        rng = self.rng
        return f"{self.place} {rng.choice(self.verbs)} {rng.choice(self.adjs)} {rng.choice(self.nouns)} {rng.choice(_PREPS)} {rng.choice(self.nouns)}".capitalize()


def _teaser_pool(seed: int) -> list[str]:
    rng = random.Random(f"teasers-{seed}")
    return [
        "Read more:\n" + "\n".join(_Story(rng).headline() for _ in range(rng.randint(3, 5)))
        for _ in range(_TEASER_POOL)
    ]


def _template_paragraphs(story: _Story, family: str) -> list[str]:
    """Fixed sentences with slots, and the family's fixed boilerplate paragraph."""
    rng = story.rng
    day, place, org = rng.choice(_DAYS), story.place, story.orgs[0]
    n = [_number(rng) for _ in range(8)]
    slots = {
        "market": [
            f"The benchmark index of the {org} closed at {n[0]} points on {day}, up {n[1]} percent "
            f"from the previous session, with {n[2]} stocks gaining and {n[3]} losing ground.",
            f"Trading volume reached {n[4]} million shares, worth {n[5]} billion dong, while foreign "
            f"investors were net buyers of {n[6]} billion dong in {place}.",
            "Banking, real estate and energy shares led the gains in the morning session, while "
            "securities and retail stocks came under selling pressure in the afternoon, brokers said.",
            f"Analysts at the {org} said the market was likely to move within a narrow range in the "
            "coming sessions as investors waited for second quarter business results.",
        ],
        "weather": [
            f"The national centre for hydro-meteorological forecasting said temperatures in {place} "
            f"would range from {n[0]} to {n[1]} degrees Celsius on {day}, with rainfall of up to "
            f"{n[2]} millimetres in some areas.",
            f"Residents of {place} and nearby provinces were advised to follow the forecasts closely, "
            f"as winds of {n[3]} kilometres per hour were expected along the coast.",
            "Farmers were urged to harvest ripe crops early and to reinforce greenhouses, while "
            "fishing boats were told to stay in port until the warning is lifted.",
            f"Local authorities in {place} have prepared rescue forces and equipment to respond to "
            "possible floods and landslides in mountainous areas, the centre said.",
        ],
        "results": [
            f"{story.people[0]} scored {n[0]} points as {org} beat the visitors {n[1]} to {n[2]} on "
            f"{day}, moving up to {n[3]} points in the league table.",
            f"The match in {place} drew a crowd of {n[4]} spectators, and the two teams will meet again "
            f"in the second round next month.",
            "The home side controlled possession for most of the first half and created several "
            "chances from set pieces before the visitors settled into the game.",
            f"Coach {story.people[1]} said after the match that the team had shown great spirit and "
            "would now focus on recovery ahead of a busy schedule.",
        ],
        "currency": [
            f"The central bank set the daily reference exchange rate at {n[0]} dong per US dollar on "
            f"{day}, up {n[1]} dong from the previous day.",
            f"Commercial banks in {place} listed the buying rate at {n[2]} dong and the selling rate "
            f"at {n[3]} dong per dollar, according to the {org}.",
            "On the free market, the dollar was traded at a slightly higher rate, while the price of "
            "gold bars rose in line with the world market, traders said.",
            f"The {org} said it would continue to manage the exchange rate flexibly to stabilise the "
            "currency market and support economic growth.",
        ],
        "earnings": [
            f"The {org} reported revenue of {n[0]} billion dong for the quarter, up {n[1]} percent "
            f"year on year, and a net profit of {n[2]} billion dong.",
            f"Earnings per share rose to {n[3]} dong, while total assets stood at {n[4]} billion dong "
            f"at the end of the period, the company said in a filing in {place}.",
            "The company attributed the result to higher sales in its core business and lower "
            "financial expenses, partly offset by rising input costs and exchange rate losses.",
            f"For the full year, the {org} targets revenue growth of {n[5]} percent and plans to "
            "pay a cash dividend to shareholders after the annual general meeting.",
        ],
    }[family]
    boiler = {
        "market": "Market data are provided for information only and do not constitute investment "
        "advice; figures are provisional and may be revised after the close of trading.",
        "weather": "Forecasts are updated every six hours; the public can follow warnings on the "
        "website and the mobile application of the national forecasting centre.",
        "results": "Full fixtures, standings and statistics for the season are available on the "
        "league's official website and will be updated after every round.",
        "currency": "Reference rates are set daily and banks may trade within the permitted band; "
        "rates quoted here are indicative and were collected at the opening of trading.",
        "earnings": "The figures are unaudited and were prepared under national accounting standards; "
        "the full financial statements are available on the company's website.",
    }[family]
    return [*slots, boiler]


def _original(story: _Story, *, family: str | None, teaser: str | None) -> list[str]:
    rng = story.rng
    if family is not None:
        # Mostly template: stories of one family share long fixed spans (Jaccard up to
        # ~0.5), the hard negatives of the corpus; one short paragraph of their own.
        template = _template_paragraphs(story, family)
        own = [story.paragraph(rng.randint(2, 3)) for _ in range(rng.randint(1, 2))]
        paragraphs = [" ".join(template[:2]), *own, " ".join(template[2:4]), template[4]]
    else:
        target = rng.randint(330, 470)
        paragraphs = []
        words = 0
        while words < target:
            para = story.paragraph(rng.randint(2, 4))
            paragraphs.append(para)
            words += para.count(" ") + 1
    if teaser is not None:
        paragraphs.append(teaser)
    return paragraphs


_NUMBER = re.compile(r"\d[\d,.]*\d|\d")


def _syndicate(paragraphs: list[str], story: _Story, teasers: list[str]) -> list[str]:
    rng = story.rng
    agency = rng.choice(_AGENCIES)
    dateline = f"{story.place.upper()}, {rng.choice(_MONTHS)} {rng.randint(1, 28)} ({agency}) — "
    out = [f"By {_person(rng)}", dateline + paragraphs[0], *paragraphs[1:]]
    caption = f"A view of the {story.noun_phrase()[4:]} in {story.place}. (Photo: {agency})"
    out.insert(rng.randint(2, len(out)), caption)
    out.append(rng.choice(teasers))
    return out


def _update(paragraphs: list[str], story: _Story) -> list[str]:
    rng = story.rng

    def change(match: re.Match[str]) -> str:
        return _number(rng) if rng.random() < 0.4 else match.group(0)

    out = [_NUMBER.sub(change, p) for p in paragraphs]
    out.insert(rng.randint(1, len(out)), story.paragraph(rng.randint(2, 3)))
    return out


def _truncate(paragraphs: list[str], rng: random.Random) -> list[str]:
    words = "\n\n".join(paragraphs).split(" ")
    keep = max(1, int(len(words) * rng.uniform(0.7, 0.9)))
    return [" ".join(words[:keep]).rstrip(".,") + " ..."]


def _reflow(text: str, rng: random.Random) -> str:
    width = rng.randint(60, 80)
    out = []
    for para in text.split("\n\n"):
        lines, line = [], ""
        for word in para.split(" "):
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
        out.append("\n".join(lines))
    joined = "\n\n".join(out).replace(". ", ".  ")
    return joined.replace("—", "--")


def _story_docs(index: int, seed: int, teasers: list[str]) -> list[tuple[str, str]]:
    """Return ``(kind, text)`` of every document of story ``index``."""
    rng = random.Random(f"{seed}-{index}")
    story = _Story(rng)
    family = rng.choice(_TEMPLATE_FAMILIES) if rng.random() < 0.2 else None
    teaser = rng.choice(teasers) if rng.random() < 0.1 else None
    paragraphs = _original(story, family=family, teaser=teaser)
    original = "\n\n".join(paragraphs)
    docs = [("original", original)]
    copies = rng.choices(_COPIES, _COPY_WEIGHTS)[0]
    for kind in rng.choices(_KINDS, _KIND_WEIGHTS, k=copies):
        if kind == "exact":
            text = original
        elif kind == "syndicated":
            text = "\n\n".join(_syndicate(paragraphs, story, teasers))
        elif kind == "updated":
            text = "\n\n".join(_update(paragraphs, story))
        elif kind == "truncated":
            text = "\n\n".join(_truncate(paragraphs, rng))
        elif kind == "reflowed":
            text = _reflow(original, rng)
        elif kind == "synd_reflow":
            text = _reflow("\n\n".join(_syndicate(paragraphs, story, teasers)), rng)
        else:
            text = "\n\n".join(_truncate(_syndicate(paragraphs, story, teasers), rng))
        docs.append((kind, text))
    return docs


def generate(num_docs: int, *, seed: int = 1) -> Iterator[CorpusDoc]:
    """Yield ``num_docs`` labelled documents, story by story, reproducibly.

    The last story may lose some of its copies so that exactly ``num_docs`` come out.
    """
    teasers = _teaser_pool(seed)
    doc_id = 0
    story = 0
    while doc_id < num_docs:
        for kind, text in _story_docs(story, seed, teasers):
            if doc_id == num_docs:
                return
            yield CorpusDoc(doc_id, story, kind, text)
            doc_id += 1
        story += 1


def write_corpus(path: Path, num_docs: int, *, seed: int = 1) -> None:
    """Write the corpus as JSONL, one document per line."""
    with path.open("w", encoding="utf-8") as out:
        for doc in generate(num_docs, seed=seed):
            record = {"id": doc.id, "cluster": doc.cluster, "kind": doc.kind, "text": doc.text}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000, help="number of documents")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="JSONL file to write")
    args = parser.parse_args(argv)
    write_corpus(args.out, args.docs, seed=args.seed)
    print(f"wrote {args.docs} documents to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
