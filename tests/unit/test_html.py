"""The HTML path: trafilatura plus structural chrome rules."""

import gzip
import json
import sys
from pathlib import Path

import pytest

from cleanpipe.config import ExtractConfig
from cleanpipe.stages.html import HtmlExtract, extract_html

CONFIG = ExtractConfig()
PROSE = (
    "The council met on Monday to discuss the budget for the coming year, and members "
    "argued for hours about the cost of the new schools and the roads around them."
)


def page(body: str, *, head: str = "<title>Budget passes</title>") -> str:
    return f"<html><head>{head}</head><body><article>{body}</article></body></html>"


def test_body_paragraphs_and_metadata() -> None:
    html = page(
        f"<h1>Budget passes</h1><p>{PROSE}</p><p>{PROSE} Again.</p>",
        head='<title>Budget passes</title><meta property="og:site_name" content="Example News">'
        '<meta name="author" content="Jane Doe">'
        '<meta property="article:published_time" content="2019-11-18T10:00:00Z">',
    )
    result = extract_html(html, url="https://example.com/a", config=CONFIG)
    assert isinstance(result, HtmlExtract)
    assert result.title == "Budget passes"
    assert result.paragraphs == (PROSE, PROSE + " Again.")
    assert (result.author, result.sitename, result.date) == (
        "Jane Doe",
        "Example News",
        "2019-11-18",
    )


def test_headline_and_deck_are_not_in_the_body() -> None:
    html = page(f"<h1>Budget passes</h1><h2>Members argued for hours</h2><p>{PROSE}</p>")
    assert extract_html(html, config=CONFIG).paragraphs == (PROSE,)


def test_trailing_list_of_links_is_dropped_but_links_in_prose_stay() -> None:
    html = page(
        f'<p>{PROSE} <a href="/x">More</a> here.</p><p>{PROSE}</p>'
        '<h3>More stories</h3><ul><li><a href="/1">Flood waters recede in the north</a></li>'
        '<li><a href="/2">Ministers meet to discuss the budget</a></li></ul>'
    )
    paragraphs = extract_html(html, config=CONFIG).paragraphs
    assert paragraphs == (f"{PROSE} More here.", PROSE)


def test_link_lines_between_paragraphs_are_kept_and_after_them_dropped() -> None:
    from cleanpipe.stages.html import _Block, _drop_chrome

    prose = _Block("p", PROSE)
    deal = _Block("item", "Get it on Amazon for $39", link_chars=19)
    related = _Block("item", "Flood waters recede in the north", link_chars=27)
    kept = _drop_chrome([prose, deal, prose, _Block("head", "More stories"), related], "")
    assert kept == [prose, deal, prose]


def test_empty_or_broken_pages_give_no_paragraphs() -> None:
    assert extract_html("", config=CONFIG).paragraphs == ()
    assert extract_html("<html><body></body></html>", config=CONFIG).paragraphs == ()


def test_no_entity_expansion_and_no_fetching() -> None:
    html = '<!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + page(
        f"<p>{PROSE} &xxe;</p>"
    )
    text = "\n".join(extract_html(html, url="http://127.0.0.1:9/", config=CONFIG).paragraphs)
    assert "root:" not in text


BENCHMARK = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "article-extraction"


@pytest.mark.skipif(not BENCHMARK.is_dir(), reason="benchmark data not beside the repository")
def test_a_handful_of_benchmark_pages_score_well() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from _scoring import score_page, summarize

    truth = json.loads((BENCHMARK / "ground-truth.json").read_text(encoding="utf-8"))
    scores = []
    for page_id in sorted(truth)[:8]:
        html = gzip.decompress((BENCHMARK / "html" / f"{page_id}.html.gz").read_bytes())
        result = extract_html(html.decode("utf-8"), url=truth[page_id]["url"], config=CONFIG)
        scores.append(score_page(truth[page_id]["articleBody"], "\n\n".join(result.paragraphs)))
    assert summarize(scores).f1 > 0.9
