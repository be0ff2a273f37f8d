"""Near-duplicates in Chinese: real news text, character shingles, copies merge, stories do not.

The four pages of ``../shared/benchmarks/cjk-news`` hold three distinct stories:
``goose3-bbc_chinese`` is goose3's expected text of the BBC story that
``newspaper4k-chinese_article`` also holds (its first paragraphs, 21% of it,
cut mid-sentence), so those two are one story and their pairs are neither
required to merge nor counted as a false merge.
"""

import itertools
import random
from pathlib import Path

import numpy as np
import pytest

from cleanpipe.config import DedupConfig, ExtractConfig
from cleanpipe.models import Origin, RawDocument
from cleanpipe.sketch.minhash import signatures_for_texts
from cleanpipe.sketch.shingles import shingle_hashes, tokenize
from cleanpipe.stages.dedup import cluster_labels
from cleanpipe.stages.extract import extract
from cleanpipe.stages.verify import verify_pair

CJK = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "cjk-news"
NAMES = (
    "goose3-bbc_chinese",
    "newspaper4k-chinese_article",
    "newspaper4k-chinese_article_001",
    "newspaper4k-chinese_article_002",
)
# Story of each page: the BBC text is part of newspaper4k-chinese_article's story.
STORY = {NAMES[0]: 0, NAMES[1]: 0, NAMES[2]: 1, NAMES[3]: 2}
HEADERS = (
    "新华网 > 国际 > 正文",
    "来源：中国日报网 2023-11-17 09:30",
    "字号：大 中 小",
    "【打印】 【纠错】",
)
FOOTERS = (
    "责任编辑：王小明",
    "【责任编辑：张晓】 分享到：微信 微博 QQ空间",
    "版权所有 未经授权禁止转载",
    "相关新闻：外交部发言人答记者问",
)
# Common characters a copy edit may put in place of others.
SUBSTITUTES = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"

pytestmark = pytest.mark.skipif(not CJK.is_dir(), reason="cjk-news data not beside the repository")


def read_text(name: str) -> str:
    text = (CJK / "text" / f"{name}.txt").read_text(encoding="utf-8")
    return "\n\n".join(p.strip() for p in text.split("\n") if p.strip())


def extracted(name: str) -> str:
    """The page's HTML through cleanpipe's extraction (a re-extracted copy)."""
    html = (CJK / "html" / f"{name}.html").read_bytes().decode("utf-8", "replace")
    origin = Origin(format="html", path=f"{name}.html", sha256="0" * 64)
    draft = extract(RawDocument(origin=origin, content=html), config=ExtractConfig())
    return "\n\n".join(getattr(draft, "paragraphs", ()))


def make_copy(text: str, rng: random.Random) -> str:
    """A copy: truncated, other header and footer lines, a few characters changed (or all)."""
    paragraphs = text.split("\n\n")
    kind = rng.choice(("truncated", "framed", "edited", "all"))
    if kind in {"truncated", "all"}:
        keep = round(len(text) * rng.uniform(0.6, 0.9))
        cut, total = [], 0
        for p in paragraphs:
            cut.append(p[: max(keep - total, 0)])
            total += len(p)
            if total >= keep:
                break
        paragraphs = [p for p in cut if p]
    if kind in {"framed", "all"}:
        paragraphs = [
            *rng.sample(HEADERS, rng.randint(1, 2)),
            *paragraphs,
            *rng.sample(FOOTERS, rng.randint(1, 2)),
        ]
    if kind in {"edited", "all"}:
        chars = list("\n\n".join(paragraphs))
        for _ in range(rng.randint(2, 8)):
            i = rng.randrange(len(chars))
            if chars[i] != "\n":
                chars[i] = rng.choice(SUBSTITUTES)
        return "".join(chars)
    return "\n\n".join(paragraphs)


def corpus(seed: int, copies: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, pages = [], []
    for name in NAMES:
        original = read_text(name)
        texts.append(original)
        pages.append(name)
        for _ in range(copies):
            texts.append(make_copy(original, rng))
            pages.append(name)
    return texts, pages


def test_chinese_is_shingled_by_characters():
    text = read_text(NAMES[3])
    tokens = tokenize(text)
    # Each Han character is a token; before, each clause between punctuation was one.
    assert tokens[:6] == ["新", "华", "社", "北", "京", "11"]
    assert max(map(len, tokens)) <= 8
    hashes = shingle_hashes(text, shingle_size=5)
    assert len(hashes) > 0.8 * len(tokens)


def test_a_few_changed_characters_keep_most_shingles():
    text = read_text(NAMES[2])
    chars = list(text)
    for i in (40, 200, 400):
        chars[i] = "的" if chars[i] != "的" else "一"
    original = set(shingle_hashes(text, shingle_size=5).tolist())
    edited = set(shingle_hashes("".join(chars), shingle_size=5).tolist())
    # Three edits cost at most 15 of ~700 character 5-grams.
    assert len(original & edited) / len(original | edited) > 0.9
    sigs = signatures_for_texts([text, "".join(chars)], num_perm=128, shingle_size=5, seed=1)
    assert (sigs[0] == sigs[1]).mean() > 0.8


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_copies_merge_and_stories_do_not(seed):
    texts, pages = corpus(seed, copies=15)
    labels = cluster_labels(texts, config=DedupConfig()).tolist()
    required = found = 0
    for i, j in itertools.combinations(range(len(texts)), 2):
        same_page = pages[i] == pages[j]
        if STORY[pages[i]] != STORY[pages[j]]:
            assert labels[i] != labels[j], (pages[i], pages[j])
        elif same_page:
            required += 1
            found += labels[i] == labels[j]
    assert found / required >= 0.98


def test_re_extracted_pages_merge_with_their_text():
    for name in NAMES[1:]:
        page = extracted(name)
        assert page, name
        assert verify_pair(page, read_text(name), config=DedupConfig()), name
        labels = cluster_labels([read_text(name), page], config=DedupConfig())
        assert labels[0] == labels[1], name


def test_distinct_chinese_stories_are_not_verified_as_copies():
    texts = {name: read_text(name) for name in NAMES[1:]}
    for a, b in itertools.combinations(NAMES[1:], 2):
        assert not verify_pair(texts[a], texts[b], config=DedupConfig())


def test_recall_of_many_copies_is_measured_not_assumed():
    # Guard for the recall test: copies must differ from their original, or recall
    # would be 1.0 from the exact-copy fast path alone.
    texts, pages = corpus(7, copies=15)
    originals = {name: texts[pages.index(name)] for name in NAMES}
    changed = [t != originals[p] for t, p in zip(texts, pages, strict=True)]
    assert np.mean(changed) > 0.7
