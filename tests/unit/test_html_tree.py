"""The raw page's tree readied for trafilatura: split bodies joined, chrome words taken out."""

from lxml.html import fromstring

from cleanpipe.stages.html_tree import join_split_bodies, take_out_chrome_words
from tests.unit.test_html import PROSE, SECOND, split_page


def test_containers_with_text_between_them_are_not_joined() -> None:
    # Prose outside both containers: they are not one run of article, and joining
    # them would move the second part above that prose.
    advert = fromstring(split_page('<div class="ad">Advertisement</div>'))
    join_split_bodies(advert)
    assert len(advert.xpath('//div[@class="body article__body"]')) == 1
    prose = fromstring(split_page(f'<div class="note"><p>{SECOND}</p></div>'))
    join_split_bodies(prose)
    assert len(prose.xpath('//div[@class="body article__body"]')) == 2


def test_teaser_summaries_with_a_body_class_are_not_joined_to_the_article() -> None:
    teaser = '<div class="post-content"><p>Flood waters recede in the north.</p></div>'
    tree = fromstring(
        f'<html><body><div class="post-content"><p>{PROSE}</p></div>{teaser}{teaser}</body></html>'
    )
    join_split_bodies(tree)
    assert len(tree.xpath('//div[@class="post-content"]')) == 3


def test_only_the_chrome_words_of_a_body_class_are_taken_out() -> None:
    tree = fromstring(
        '<div><div class="elementor-widget elementor-widget-theme-post-content" id="main">'
        '<p>x</p></div><div class="sidebar" style="display:none"><p>y</p></div></div>'
    )
    body, hidden = tree
    take_out_chrome_words(body)
    assert body.get("class") == "elementor elementor-theme-post-content"  # the hint stays
    assert body.get("id") == "main"
    take_out_chrome_words(hidden)  # hidden by its style as well: left as it is
    assert hidden.get("class") == "sidebar"
