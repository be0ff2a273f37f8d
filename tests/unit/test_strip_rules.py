"""Each boilerplate rule: what it must remove, and look-alike content it must keep."""

import pytest

import cleanpipe
from cleanpipe.config import StripConfig
from cleanpipe.stages.strip import RULE_NAMES, strip_boilerplate

BODY = [
    "The provincial council approved the budget on Monday after a long debate among members.",
    "Officials said the new spending would go to schools, roads and clean water projects.",
    "The plan still needs the approval of the national government, which is expected next month.",
]


def removed_by(paragraph: str, *, position: int = 1, title: str | None = None) -> list[str]:
    paragraphs = [*BODY[:position], paragraph, *BODY[position:]]
    result = strip_boilerplate(paragraphs, title=title)
    return [r.rule for r in result.removed if paragraph.strip() in r.text]


REMOVED = [
    ("caption", "Firefighters at the scene on Monday. (Photo: VNA)"),
    ("caption", "Photo: Nguyen Van A"),
    ("caption", "Photograph: John Smith/Getty Images"),
    ("caption", "Image: courtesy of the museum"),
    ("caption", "Credit: Reuters"),
    ("caption", "Workers clear debris from a street in Hue. (Illustrative image)"),
    ("caption", "Traders work on the floor of the exchange in New York.Reuters"),
    ("caption", "Rain in Hue ảnh 1Residents wade through a flooded street (Photo: VNA)"),
    ("teaser_line", "Read more: Council approves new school budget"),
    ("teaser_line", "[Related: Five things to know about the budget]"),
    ("teaser_line", "SEE MORE: Flood waters recede in the north"),
    ("teaser_line", "Also on example.com Ministers meet to discuss the budget"),
    ("teaser_line", "'DANCING WITH THE STARS' HOST OPENS UP ABOUT SERIOUS HEALTH CONDITION"),
    ("share", "Share this article"),
    ("share", "Print Article"),
    ("share", "Order Reprints"),
    ("share", "Like this story? Share it with a friend!"),
    ("share", "Every business lives in time and space.Click To Tweet"),
    ("share", "Tempo de leitura: 2 minutos"),
    ("advertisement", "Advertisement"),
    ("advertisement", "ADVERTISEMENT"),
    ("advertisement", "Quảng cáo"),
    ("advertisement", "Story continues below advertisement"),
    ("newsletter", "Subscribe to the Morning Review newsletter"),
    ("newsletter", "Sign up for our daily newsletter to get the news in your inbox."),
    ("newsletter", "Get the latest updates right in your inbox. Subscribe to our newsletters."),
    ("newsletter", "Thanks for signing up!"),
    ("newsletter", "Get Cycling Monthly delivered through your letterbox every month."),
    ("newsletter", "If you enjoyed this article, we have a proposition for you: join our club."),
    (
        "cookie_notice",
        "We use cookies to improve your experience. "
        "By using this site you accept our cookie policy.",
    ),
    ("social", "Follow us on Twitter @Example and on Facebook."),
    ("social", "Email the writer at jane@example.com."),
    ("social", "paul.takahashi@chron.com"),
    ("credit_line", "Reporting by Jane Doe; Editing by John Roe"),
    ("credit_line", "(Reporting by Jane Doe, editing by John Roe)"),
    ("credit_line", "Associated Press writers Jane Doe and John Roe contributed to this report."),
    ("credit_line", "Keith Bradsher contributed reporting from Hong Kong."),
    ("copyright", "Copyright ©2019 Example Media, Inc. All Rights Reserved."),
    ("timestamp", "Published 18 November 2019"),
    ("timestamp", "UPDATED: Tue., Nov. 19, 2019"),
    ("timestamp", "sexta-feira, 22 de outubro de 2010 às 20:13"),
    ("timestamp", "5:45 AM PST 11/19/2019 by Patrick Shanley"),
    ("breadcrumb", "Home > News > World"),
    ("breadcrumb", "Home » Business » Markets"),
    ("nav", "Tags"),
    ("nav", "Filed under: Politics |"),
    ("nav", "Table of Contents"),
    ("nav", "In this article:"),
    ("byline", "By Jane Doe"),
    ("byline", "VNA"),
]


@pytest.mark.parametrize(("rule", "paragraph"), REMOVED, ids=[f"{r}:{p[:30]}" for r, p in REMOVED])
def test_rule_removes(rule: str, paragraph: str) -> None:
    assert rule in removed_by(paragraph)


KEPT = [
    "In this article, the council explains why the budget for the rural districts grew.",
    "To see more of the exhibition, visitors can book a guided tour on the museum's website.",
    "Hanoi (the capital) has seen heavy rain this week, and more is expected on Friday.",
    "The photo exhibition opens on Friday with 120 images by the photographer, who said: "
    "“Photo: a single frame can hold a whole life.”",
    "“We will not back down,” said the minister, speaking to Reuters.",
    "The readers who subscribe to the magazine got a copy of the report in May.",
    "Cookies baked by the students were sold to raise money for the flood victims.",
    "Home prices rose 5% / year in the city, faster than wages / salaries / bonuses.",
    "2019 American Music Awards",
    "On May 3 the council met and voted to extend the programme.",
    "July 19 – Toronto, ON @ Budweiser Stage",
    "— Jane Doe (@janedoe) November 18, 2019",
    "WHAT YOU NEED TO MAKE JAM",
    "Sign up for a Hulu ad-free account for $11.99 a month",
    "The agency said the project was carried out by Reuters and AFP journalists together.",
    "Related research has shown that rainfall in the region doubled over two decades.",
]


@pytest.mark.parametrize("position", [0, 1, 3])
@pytest.mark.parametrize("paragraph", KEPT, ids=[p[:30] for p in KEPT])
def test_lookalike_content_is_kept(paragraph: str, position: int) -> None:
    assert removed_by(paragraph, position=position) == []


def test_teaser_block_cuts_to_the_end_when_the_article_does_not_resume() -> None:
    paragraphs = [*BODY, "Related articles", "Headline one", "Headline two"]
    result = strip_boilerplate(paragraphs)
    assert list(result.paragraphs) == BODY
    assert [r.rule for r in result.removed] == ["teaser_block"]


@pytest.mark.parametrize(
    "header",
    [
        "See more",
        "Read more:",
        "You may also like...",
        "Most read in world news",
        "Xem thêm",
        "Tin liên quan",
        "Lesen Sie auch",
        "Mehr zum Thema",
        "À lire aussi",
        "Leia também",
        "Читайте также",
        "DON'T MISS",
        "More stories",
    ],
)
def test_teaser_block_headers_in_many_languages(header: str) -> None:
    result = strip_boilerplate([*BODY, header, "Some other headline"])
    assert list(result.paragraphs) == BODY


def test_teaser_block_in_the_middle_keeps_the_article_that_resumes() -> None:
    paragraphs = [
        BODY[0],
        "DON'T MISS",
        "Headline one [INSIGHT]",
        "Headline two [VIDEO]",
        BODY[1],
        BODY[2],
    ]
    result = strip_boilerplate(paragraphs)
    assert list(result.paragraphs) == BODY


def test_a_sentence_that_says_see_more_is_not_a_header() -> None:
    sentence = "See more of the city by bike, the mayor told residents on Sunday."
    assert strip_boilerplate([*BODY, sentence]).paragraphs[-1] == sentence


@pytest.mark.parametrize(
    ("paragraph", "place", "source"),
    [
        ("Ben Tre (VNA) - Rice exports rose.", "Ben Tre", "VNA"),
        ("WASHINGTON (Reuters) - Stocks fell.", "WASHINGTON", "Reuters"),
        ("PARIS (AFP) - It rained.", "PARIS", "AFP"),
        ("BEIJING (Xinhua) -- Trade grew.", "BEIJING", "Xinhua"),
    ],
)
def test_dateline_is_kept_as_metadata(paragraph: str, place: str, source: str) -> None:
    result = strip_boilerplate([paragraph, *BODY])
    assert (result.dateline, result.source) == (place, source)
    assert result.paragraphs[0] == paragraph.split("- ", 1)[1].lstrip("- ")


def test_end_mark_and_title_repeat() -> None:
    result = strip_boilerplate(["Rain in Hue", *BODY[:-1], BODY[-1] + "./."], title="Rain in Hue")
    assert list(result.paragraphs) == BODY
    assert sorted(r.rule for r in result.removed) == ["end_mark", "title_repeat"]


@pytest.mark.parametrize("rule", [r for r in RULE_NAMES if r != "repeated_line"])
def test_every_rule_can_be_switched_off(rule: str) -> None:
    config = StripConfig(disabled_rules=(rule,))
    paragraphs = [*BODY, *(p for r, p in REMOVED if r == rule)]
    result = strip_boilerplate(paragraphs, config=config)
    assert rule not in {r.rule for r in result.removed}


TEASERS_ONLY = [
    "Flood waters recede in the north as farmers return to their fields",
    "Farmers in the northern provinces went back to their fields on Tuesday, a week after "
    "the river burst its banks and covered the rice paddies.",
    "Council approves new school budget",
    "The provincial council approved the budget after a long debate among its members, "
    "officials said on Monday.",
]


@pytest.mark.parametrize("title", ["See more", "Related articles", "Xem thêm", "Read more:"])
def test_a_title_that_is_a_teaser_header_means_the_body_is_the_teaser_block(title: str) -> None:
    result = strip_boilerplate(TEASERS_ONLY, title=title)
    assert result.paragraphs == ()
    assert [r.rule for r in result.removed] == ["teaser_block"]
    assert result.removed[0].text == "\n\n".join(TEASERS_ONLY)


def test_an_article_title_mentioning_more_keeps_its_body() -> None:
    result = strip_boilerplate(BODY, title="See more of Hue: the city opens its citadel at night")
    assert list(result.paragraphs) == BODY


def test_a_text_of_nothing_but_a_teaser_block_is_rejected_as_no_content() -> None:
    text = "See more\n\n" + "\n\n".join(TEASERS_ONLY) + "\n"
    result = cleanpipe.clean([text, "\n\n".join(BODY)])
    assert [r.reason for r in result.rejections] == ["no-content"]
    assert [r.line for r in result.rejections] == [1]
    assert [a.text for a in result.articles] == ["\n\n".join(BODY)]


def test_the_teaser_title_rule_can_be_switched_off() -> None:
    config = StripConfig(disabled_rules=("teaser_block",))
    result = strip_boilerplate(TEASERS_ONLY, title="See more", config=config)
    assert list(result.paragraphs) == TEASERS_ONLY


def test_a_teaser_block_ends_before_a_paragraph_too_long_to_be_a_summary() -> None:
    section = (
        "Home prices rose again this year in most of the country, even as mortgage rates stayed "
        "high, and sales volumes recovered slowly from the lows of the last two years. The "
        "analysis below ranks the states and cities by a composite score of price growth, the "
        "share of homes sold above asking, days on the market and price cuts, from the data "
        "of the last twelve months."
    )
    rows = ["1/1/2024 +5.3%", "2/1/2024 +6.6%", "3/1/2024 +4.9%"]
    paragraphs = [*BODY, "RELATED", "Headline one", section, *rows]
    result = strip_boilerplate(paragraphs)
    assert list(result.paragraphs) == [*BODY, section, *rows]
    assert [r.text for r in result.removed] == ["RELATED\n\nHeadline one"]
