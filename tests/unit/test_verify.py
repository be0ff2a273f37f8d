import pytest

from cleanpipe.config import DedupConfig
from cleanpipe.stages.verify import verify_pair

CONFIG = DedupConfig()

# Real-looking agency paragraphs (about 30 words each), one story.
STORY = [
    "The Mekong Delta province of Ben Tre hopes to continue receiving support from Japanese "
    "localities and businesses in agriculture, climate change response and human resources "
    "training, its chairman said on Friday.",
    "Speaking at a meeting with a delegation from Japan's Nagano prefecture, Tran Ngoc Tam said "
    "the province had attracted 14 Japanese projects with a total registered capital of more "
    "than 60 million USD.",
    "Japanese firms are active in processing coconut products, manufacturing garments and "
    "building solar power plants, and several of them plan to expand their factories in the "
    "province next year.",
    "The chairman asked the delegation to help Ben Tre promote its farm produce in Japan and to "
    "share experience in building smart cities and developing high-tech agriculture.",
    "Nagano's vice governor said his prefecture wanted to send more trainees and students to "
    "the province and would encourage its companies to look for investment opportunities there.",
    "Both sides agreed to set up a working group to follow the cooperation projects and to meet "
    "again in Nagano in the spring of next year to review the progress made.",
]
OTHER = [
    "Rice exports from the Mekong Delta rose by almost a fifth in the first half of the year as "
    "buyers in the Philippines and Indonesia stocked up ahead of the rainy season, traders said.",
    "Prices of five-percent broken rice climbed to their highest level in more than a decade, "
    "and exporters warned that supplies for the second half could be tight.",
    "The agriculture ministry said farmers had planted a larger winter-spring crop than last "
    "year and that yields had held up despite saltwater intrusion in coastal districts.",
]
TEMPLATE = [
    "About us: The Delta Times is an independent daily newspaper covering the thirteen "
    "provinces of the Mekong Delta, published in Can Tho since 1998 by the Delta Media Group.",
    "Subscribe to our newsletter for the day's most important stories from the region, "
    "delivered to your inbox every morning at six, free of charge and without advertising.",
]


def text(paragraphs):
    return "\n\n".join(paragraphs)


def words(paragraphs):
    return sum(len(p.split()) for p in paragraphs)


def test_identical_and_reflowed_texts_are_copies():
    body = text(STORY)
    assert verify_pair(body, body, config=CONFIG)
    reflowed = body.replace(" the ", "\nthe ").replace(", ", " ,  ")
    assert verify_pair(body, reflowed, config=CONFIG)


def test_truncated_copy_to_40_percent_is_a_copy_either_way_round():
    truncated = text(STORY[:2]) + " ..."
    assert words(STORY[:2]) < 0.45 * words(STORY)
    assert verify_pair(truncated, text(STORY), config=CONFIG)
    assert verify_pair(text(STORY), truncated, config=CONFIG)


def test_a_paragraph_is_not_a_copy_of_the_long_story_holding_it():
    # Contained entirely, but a sixth of the longer text: under min_length_ratio.
    assert not verify_pair(STORY[1], text(STORY), config=CONFIG)


def test_min_length_ratio_is_the_share_of_the_longer_text():
    truncated = text(STORY[:2])
    assert not verify_pair(
        truncated, text(STORY), config=CONFIG.model_copy(update={"min_length_ratio": 0.5})
    )


def test_syndicated_copy_with_other_boilerplate_is_a_copy():
    lede = "HANOI (VNA) — According to reports, " + STORY[0].replace("on Friday", "this week")
    syndicated = text(["By Staff Writer", lede, *STORY[1:], "(VNA)", "Read more: Rice up."])
    assert verify_pair(syndicated, text(STORY), config=CONFIG)


def test_updated_copy_with_a_paragraph_added_is_a_copy():
    updated = text([*STORY[:3], OTHER[2], *STORY[3:]]).replace("14", "15")
    assert verify_pair(text(STORY), updated, config=CONFIG)


def test_follow_up_reusing_one_background_paragraph_is_not_a_copy():
    follow_up = text([*OTHER, STORY[1]])
    assert not verify_pair(follow_up, text(STORY), config=CONFIG)


def test_briefs_sharing_a_site_template_are_not_copies():
    # Each brief is a third its own text, two thirds the site's template: the
    # containment test alone (with its slack) would merge them.
    left = text([STORY[0], *TEMPLATE])
    right = text([OTHER[0], *TEMPLATE])
    loose = CONFIG.model_copy(update={"similarity_threshold": 60.0, "max_own_share": 1.0})
    assert verify_pair(left, right, config=loose)
    assert not verify_pair(
        left, right, config=CONFIG.model_copy(update={"similarity_threshold": 60.0})
    )
    assert not verify_pair(left, right, config=CONFIG)


def test_short_copy_with_a_new_dateline_uses_the_slack():
    brief = text(STORY[:2])
    copy = "SYDNEY (AFP) - Officials said that " + brief.replace("on Friday", "") + "\n\n(AFP)"
    assert verify_pair(brief, copy, config=CONFIG)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Rice exports rose in May.", "Tourist arrivals fell in May."),
        ("The match ended in a draw.", "The meeting ended in a row."),
    ],
    ids=["headlines", "one-word-apart-but-short"],
)
def test_slack_never_covers_most_of_a_short_text(left, right):
    assert not verify_pair(left, right, config=CONFIG)


def test_slack_is_what_lets_a_short_rewritten_copy_through():
    brief = STORY[0]
    # Six of the lede's 31 words are missing from the copy: 19%, over the 15% of
    # similarity_threshold, within max_missing_words and a quarter of the text.
    rewritten = "HANOI (VNA) — " + brief.replace(
        "human resources training, its chairman said on Friday",
        "training, the head of its government announced",
    )
    assert verify_pair(brief, rewritten, config=CONFIG)
    strict = CONFIG.model_copy(update={"max_missing_words": 0})
    assert not verify_pair(brief, rewritten, config=strict)


def test_empty_text_is_never_a_copy():
    assert not verify_pair("", "", config=CONFIG)
    assert not verify_pair("", text(STORY), config=CONFIG)


def test_chinese_copies_compare_by_characters():
    story = (
        "香港行政长官梁振英在各方压力下就其大宅的违章建筑问题到立法会接受质询，并向香港民众道歉。"
    )
    edited = story.replace("压力", "压迫")
    assert verify_pair(story, edited, config=CONFIG)
    assert not verify_pair(
        story, "国家卫生健康委依托全国公立医疗卫生机构短缺药品信息直报系统开展监测。", config=CONFIG
    )
