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


def test_link_lines_between_paragraphs_are_kept_and_after_them_dropped() -> None:
    from cleanpipe.stages.html import _Block, _drop_chrome

    prose = _Block("p", PROSE)
    deal = _Block("item", "Get it on Amazon for $39", link_chars=19)
    related = _Block("item", "Flood waters recede in the north", link_chars=27)
    kept = _drop_chrome([prose, deal, prose, _Block("head", "More stories"), related], "")
    assert kept == [prose, deal, prose]


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


def test_containers_with_text_between_them_are_not_joined() -> None:
    # Prose outside both containers: they are not one run of article, and joining
    # them would move the second part above that prose.
    from lxml.html import fromstring

    from cleanpipe.stages.html import _join_split_bodies

    advert = fromstring(split_page('<div class="ad">Advertisement</div>'))
    _join_split_bodies(advert)
    assert len(advert.xpath('//div[@class="body article__body"]')) == 1
    prose = fromstring(split_page(f'<div class="note"><p>{SECOND}</p></div>'))
    _join_split_bodies(prose)
    assert len(prose.xpath('//div[@class="body article__body"]')) == 2


def test_teaser_summaries_with_a_body_class_are_not_joined_to_the_article() -> None:
    from lxml.html import fromstring

    from cleanpipe.stages.html import _join_split_bodies

    teaser = '<div class="post-content"><p>Flood waters recede in the north.</p></div>'
    tree = fromstring(
        f'<html><body><div class="post-content"><p>{PROSE}</p></div>{teaser}{teaser}</body></html>'
    )
    _join_split_bodies(tree)
    assert len(tree.xpath('//div[@class="post-content"]')) == 3


def test_a_trailing_list_of_mostly_links_is_dropped_even_where_items_have_summaries() -> None:
    from cleanpipe.stages.html import _Block, _drop_chrome

    prose = _Block("p", PROSE)
    # Headline link plus a line of summary: each item under half links, the list as a whole not.
    teasers = [
        _Block("item", "How the river flooded the old town and why", link_chars=34, list_id=7),
        _Block(
            "item", "What the budget means for you; plus, the latest news", link_chars=15, list_id=7
        ),
    ]
    steps = [
        _Block("item", "Chop the onions finely and fry them gently", list_id=8),
        _Block("item", "Add the rice and stir for two minutes", list_id=8),
    ]
    assert _drop_chrome([prose, prose, *teasers], "") == [prose, prose]
    assert _drop_chrome([prose, prose, *steps], "") == [prose, prose, *steps]


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
    from cleanpipe.stages.html import _Block, _drop_toc

    extracted = extract_html(html, config=CONFIG)
    paragraphs = strip_boilerplate(extracted.paragraphs, title=extracted.title).paragraphs
    assert "Table of Contents" not in paragraphs  # the label, by the strip stage's nav rule
    assert paragraphs.count("Roads for the north") == 1
    # The same rule on blocks: by in-page links, and by items that repeat later headings.
    toc = [
        _Block("p", "Contents"),
        _Block("item", "Roads", 5, 1, 5),
        _Block("item", "Hills", 5, 1, 5),
    ]
    assert _drop_toc([_Block("p", PROSE), *toc]) == [_Block("p", PROSE)]
    scripted = [_Block("item", "Roads", 0, 2), _Block("item", "Hills", 0, 2)]
    later = [_Block("head", "Roads"), _Block("p", PROSE), _Block("head", "Hills")]
    assert _drop_toc([*scripted, *later]) == later
    links = [_Block("item", "Roads", 5, 3), _Block("item", "Hills", 5, 3)]  # links elsewhere
    assert _drop_toc(links) == links


def test_text_after_an_inner_block_comes_once_and_after_it() -> None:
    from lxml import etree

    from cleanpipe.stages.html import _blocks

    body = etree.fromstring(
        "<body><list><item>Pack the books first:<list><item>small boxes</item></list>"
        "then tape them shut.</item></list><p>Done.</p></body>"
    )
    assert [b.text for b in _blocks(body)] == [
        "Pack the books first:",
        "small boxes",
        "then tape them shut.",
        "Done.",
    ]


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


def test_only_the_chrome_words_of_a_body_class_are_taken_out() -> None:
    from lxml.html import fromstring

    from cleanpipe.stages.html import _take_out_chrome_words

    tree = fromstring(
        '<div><div class="elementor-widget elementor-widget-theme-post-content" id="main">'
        '<p>x</p></div><div class="sidebar" style="display:none"><p>y</p></div></div>'
    )
    body, hidden = tree
    _take_out_chrome_words(body)
    assert body.get("class") == "elementor elementor-theme-post-content"  # the hint stays
    assert body.get("id") == "main"
    _take_out_chrome_words(hidden)  # hidden by its style as well: left as it is
    assert hidden.get("class") == "sidebar"


def test_each_list_has_its_own_id() -> None:
    from lxml import etree

    from cleanpipe.stages.html import _blocks

    lists = "".join(f"<list><item>Item {i}</item></list>" for i in range(50))
    blocks = _blocks(etree.fromstring(f"<body>{lists}</body>"))
    assert len({b.list_id for b in blocks}) == 50


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


def test_a_shopping_list_after_the_last_paragraph_keeps_its_links() -> None:
    from cleanpipe.stages.html import _Block, _drop_chrome

    prose = _Block("p", PROSE)
    items = [_Block("p", f"{n}) Lego Star Wars bomber") for n in (1, 2, 3)]
    links = [_Block("p", f"http://amzn.to/{n}", link_chars=16) for n in (1, 2, 3)]
    deals = [items[0], links[0], items[1], links[1], items[2], links[2]]
    # Each link stands between two lines of the list; the last one ends the page.
    assert _drop_chrome([prose, prose, *deals], "") == [prose, prose, *deals[:-1]]
    more = [_Block("head", "More stories"), links[0], links[1]]
    assert _drop_chrome([prose, prose, *more], "") == [prose, prose]


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
