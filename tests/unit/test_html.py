"""The HTML path: trafilatura plus structural chrome rules."""

import gzip
import json
import sys
from pathlib import Path

import pytest

from cleanpipe.config import ExtractConfig
from cleanpipe.stages.html import HtmlExtract, extract_html
from cleanpipe.stages.strip import strip_boilerplate

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


SECOND = (
    "Later in the evening the mayor said the city would borrow to pay for the bridge, "
    "a plan that the opposition called reckless and that voters will judge next spring."
)
THIRD = (
    "The final vote came just after midnight, with nine members in favour and four against, "
    "and the budget now goes to the province for a last approval before it takes effect."
)


def split_page(between: str) -> str:
    """A body that an advert splits into two containers of the same class (wired.com)."""
    part = '<div class="body article__body">{}</div>'
    return (
        "<html><head><title>Budget passes</title></head><body><main>"
        + part.format(f"<p>{PROSE}</p><p>{SECOND}</p>")
        + between
        + part.format(f"<p>{THIRD}</p>")
        + "</main></body></html>"
    )


def test_a_body_split_by_an_advert_is_joined_in_order() -> None:
    advert = '<div class="ad"><span class="ad-label">Advertisement</span></div>'
    paragraphs = extract_html(split_page(advert), config=CONFIG).paragraphs
    assert paragraphs == (PROSE, SECOND, THIRD)


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


def test_inline_code_stays_in_its_sentence_and_a_listing_is_its_own_paragraph() -> None:
    html = page(
        f"<p>{PROSE}</p><p>If you see a <code>.github</code> folder at the top of a repository, "
        "it configures the project for you, from issue templates to the workflows.</p>"
        "<pre><code>name: ci\non: push\njobs: {}</code></pre>"
        f"<p>{PROSE} Again.</p>"
    )
    paragraphs = extract_html(html, config=CONFIG).paragraphs
    assert paragraphs[1] == (
        "If you see a .github folder at the top of a repository, "
        "it configures the project for you, from issue templates to the workflows."
    )
    assert ".github" not in paragraphs[2:]
    assert sum(p.count(".github") for p in paragraphs) == 1


def test_inline_markup_in_an_item_holding_a_sub_list_is_not_repeated() -> None:
    html = page(
        f"<p>{PROSE}</p><ul><li>Pack the <b>heavy books</b> in small boxes, and fill "
        "the gaps with towels so nothing moves in the truck."
        "<ul><li>Label each box with the room it goes to.</li></ul></li></ul>"
        f"<p>{PROSE} Again.</p>"
    )
    text = "\n".join(extract_html(html, config=CONFIG).paragraphs)
    assert text.count("heavy books") == 1
    assert "Pack the heavy books in small boxes" in text
    assert "Label each box with the room it goes to." in text


WCXB = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "wcxb-dev"


@pytest.mark.skipif(not WCXB.is_dir(), reason="benchmark data not beside the repository")
@pytest.mark.parametrize("name", ["0307.html.gz", "0214.html.gz"])
def test_a_page_the_fast_pass_misses_is_rescued_by_the_full_cascade(name: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from trafilatura.utils import decode_file

    from _scoring import score_page

    truth = json.loads((WCXB / "truth.json").read_text(encoding="utf-8"))[name]
    html = decode_file(gzip.decompress((WCXB / "html" / name).read_bytes()))
    # 0214's body class holds "ad" ("body-ad-wrapper"): unmask_body alone finds it now.
    fast_only = extract_html(
        html, url=truth["url"], config=CONFIG, disabled_steps=("rescue", "unmask_body")
    )
    rescued = extract_html(html, url=truth["url"], config=CONFIG, disabled_steps=("unmask_body",))
    assert score_page(truth["text"], "\n\n".join(fast_only.paragraphs)).recall < 0.2
    assert score_page(truth["text"], "\n\n".join(rescued.paragraphs)).recall > 0.85


def test_a_table_of_contents_and_its_label_are_dropped() -> None:
    html = page(
        f"<p>{PROSE}</p><p><strong>Table of Contents</strong></p>"
        '<ul><li><a href="#roads">Roads for the north</a></li>'
        '<li><a href="#schools">Schools in the hills</a></li></ul>'
        f'<h2 id="roads">Roads for the north</h2><p>{PROSE} Roads.</p>'
        f'<h2 id="schools">Schools in the hills</h2><p>{PROSE} Schools.</p>'
    )
    from cleanpipe.stages.html_blocks import Block, drop_toc

    extracted = extract_html(html, config=CONFIG)
    paragraphs = strip_boilerplate(extracted.paragraphs, title=extracted.title).paragraphs
    assert "Table of Contents" not in paragraphs  # the label, by the strip stage's nav rule
    assert paragraphs.count("Roads for the north") == 1
    # The same rule on blocks: by in-page links, and by items that repeat later headings.
    toc = [
        Block("p", "Contents"),
        Block("item", "Roads", 5, 1, 5),
        Block("item", "Hills", 5, 1, 5),
    ]
    assert drop_toc([Block("p", PROSE), *toc]) == [Block("p", PROSE)]
    scripted = [Block("item", "Roads", 0, 2), Block("item", "Hills", 0, 2)]
    later = [Block("head", "Roads"), Block("p", PROSE), Block("head", "Hills")]
    assert drop_toc([*scripted, *later]) == later
    links = [Block("item", "Roads", 5, 3), Block("item", "Hills", 5, 3)]  # links elsewhere
    assert drop_toc(links) == links


def test_a_page_laid_out_in_a_table_keeps_its_paragraphs_apart() -> None:
    # Older sites lay the page out in table cells; trafilatura hands the cell back
    # with the article's heading and paragraphs inside one row.
    html = (
        "<html><head><title>Budget passes</title></head><body><table><tr>"
        f'<td class="content"><h1>Budget passes</h1><p>18 November 2019</p><p>{PROSE}</p>'
        f"<p>{SECOND}</p></td><td>Weather: sunny</td></tr></table></body></html>"
    )
    paragraphs = extract_html(html, config=CONFIG).paragraphs
    assert PROSE in paragraphs
    assert SECOND in paragraphs
    glued = extract_html(html, config=CONFIG, disabled_steps=("layout_rows",)).paragraphs
    assert PROSE not in glued  # one line of a row: heading, date and body run together


def test_a_data_table_row_stays_one_line() -> None:
    html = page(
        f"<p>{PROSE}</p><table><tr><th>City</th><th>Rain</th></tr>"
        "<tr><td>Hue</td><td>120 mm</td></tr></table>"
    )
    paragraphs = extract_html(html, config=CONFIG).paragraphs
    assert "Hue 120 mm" in paragraphs


def builder_page(body_class: str, *, aside: str = "") -> str:
    """A page whose article sits in a container of a page builder or theme."""
    intro = (
        "<div class='intro'><p>Welcome to the Example Gazette, the paper of record for the "
        "valley since 1901, read by farmers, teachers and everyone else who lives here.</p>"
        "<p>Our newsroom is open every day of the week from nine in the morning, and letters "
        "to the editor can be dropped at the front desk at any time.</p></div>"
    )
    return (
        f"<html><head><title>Budget passes</title></head><body>{intro}"
        f"<div class='{body_class}'><h1>Budget passes</h1><p>{PROSE}</p><p>{SECOND}</p>"
        f"<p>{THIRD}</p></div>{aside}</body></html>"
    )


@pytest.mark.parametrize(
    "body_class",
    ["page1-footer", "listicle-slides", "sidebar-layout", "elementor-widget-text-editor"],
)
def test_a_body_whose_class_holds_a_chrome_word_is_kept(body_class: str) -> None:
    # trafilatura matches "footer", "slide", "sidebar", "widget" inside these names.
    html = builder_page(body_class)
    assert THIRD in extract_html(html, config=CONFIG).paragraphs
    masked = extract_html(html, config=CONFIG, disabled_steps=("unmask_body",)).paragraphs
    assert THIRD not in masked


def test_a_sidebar_with_less_than_half_the_prose_is_still_discarded() -> None:
    aside = (
        "<div class='sidebar'><p>Our sister paper in the hills covers the farming news of the "
        "region every week, with prices, weather and the results of the county fair.</p></div>"
    )
    paragraphs = extract_html(builder_page("story", aside=aside), config=CONFIG).paragraphs
    assert THIRD in paragraphs
    assert not any("sister paper" in p for p in paragraphs)


EMBEDDED = (
    "The table below lists what each district will receive next year, from the schools in "
    "the hills to the roads along the river and the new bridge in the north."
)
BIO = (
    "Jane Doe has covered the city council for the Example Gazette for twelve years, and "
    "before that she wrote about farming and the weather in the valley."
)


def embed_page(end: str = "") -> str:
    """An article with a page builder's embed ("w-embed") in the middle of its prose."""
    return page(
        f"<h1>Budget passes</h1><p>{PROSE}</p><p>{SECOND}</p>"
        f"<div class='w-embed'><p>{EMBEDDED}</p></div><p>{THIRD}</p>{end}"
    )


def test_prose_that_the_chrome_words_hit_inside_the_article_is_kept() -> None:
    paragraphs = extract_html(embed_page(), config=CONFIG).paragraphs
    assert paragraphs == (PROSE, SECOND, EMBEDDED, THIRD)
    masked = extract_html(embed_page(), config=CONFIG, disabled_steps=("unmask_inner",))
    assert masked.paragraphs == (PROSE, SECOND, THIRD)


def test_nothing_is_unmasked_where_chrome_with_prose_ends_the_article() -> None:
    # The author box stays discarded; unmasking the embed alone would let
    # trafilatura's all-or-nothing guard decide differently about the rest.
    html = embed_page(f"<div class='author-bio'><p>{BIO}</p></div>")
    assert extract_html(html, config=CONFIG).paragraphs == (PROSE, SECOND, THIRD)


def test_the_page_text_is_counted_about_as_html2txt_does() -> None:
    from lxml.html import fromstring
    from trafilatura.baseline import html2txt

    from cleanpipe.stages.html import _page_text_chars

    html = (
        "<html><head><style>p { color: red }</style></head><body><div>"
        f"<p>{PROSE}</p><script>var x = 'not text';</script><p>{SECOND}</p>"
        "<aside>Sister papers</aside><footer>Copyright</footer></div></body></html>"
    )
    expected = len(html2txt(fromstring(html)))
    # Scripts, styles, asides and footers left out; only the spaces that html2txt
    # puts between blocks (here "them.Later") are not counted.
    assert expected - 5 <= _page_text_chars(fromstring(html)) <= expected
