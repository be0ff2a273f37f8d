"""trafilatura's body flattened into blocks, and the chrome rules on blocks."""

from lxml import etree

from cleanpipe.stages.html_blocks import Block, drop_chrome, to_blocks

PROSE = (
    "The council met on Monday to discuss the budget for the coming year, and members "
    "argued for hours about the cost of the new schools and the roads around them."
)


def test_link_lines_between_paragraphs_are_kept_and_after_them_dropped() -> None:
    prose = Block("p", PROSE)
    deal = Block("item", "Get it on Amazon for $39", link_chars=19)
    related = Block("item", "Flood waters recede in the north", link_chars=27)
    kept = drop_chrome([prose, deal, prose, Block("head", "More stories"), related], "")
    assert kept == [prose, deal, prose]


def test_a_trailing_list_of_mostly_links_is_dropped_even_where_items_have_summaries() -> None:
    prose = Block("p", PROSE)
    # Headline link plus a line of summary: each item under half links, the list as a whole not.
    teasers = [
        Block("item", "How the river flooded the old town and why", link_chars=34, list_id=7),
        Block(
            "item", "What the budget means for you; plus, the latest news", link_chars=15, list_id=7
        ),
    ]
    steps = [
        Block("item", "Chop the onions finely and fry them gently", list_id=8),
        Block("item", "Add the rice and stir for two minutes", list_id=8),
    ]
    assert drop_chrome([prose, prose, *teasers], "") == [prose, prose]
    assert drop_chrome([prose, prose, *steps], "") == [prose, prose, *steps]


def test_text_after_an_inner_block_comes_once_and_after_it() -> None:
    body = etree.fromstring(
        "<body><list><item>Pack the books first:<list><item>small boxes</item></list>"
        "then tape them shut.</item></list><p>Done.</p></body>"
    )
    assert [b.text for b in to_blocks(body)] == [
        "Pack the books first:",
        "small boxes",
        "then tape them shut.",
        "Done.",
    ]


def test_each_list_has_its_own_id() -> None:
    lists = "".join(f"<list><item>Item {i}</item></list>" for i in range(50))
    blocks = to_blocks(etree.fromstring(f"<body>{lists}</body>"))
    assert len({b.list_id for b in blocks}) == 50


def test_a_shopping_list_after_the_last_paragraph_keeps_its_links() -> None:
    prose = Block("p", PROSE)
    items = [Block("p", f"{n}) Lego Star Wars bomber") for n in (1, 2, 3)]
    links = [Block("p", f"http://amzn.to/{n}", link_chars=16) for n in (1, 2, 3)]
    deals = [items[0], links[0], items[1], links[1], items[2], links[2]]
    # Each link stands between two lines of the list; the last one ends the page.
    assert drop_chrome([prose, prose, *deals], "") == [prose, prose, *deals[:-1]]
    more = [Block("head", "More stories"), links[0], links[1]]
    assert drop_chrome([prose, prose, *more], "") == [prose, prose]
