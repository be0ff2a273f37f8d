from __future__ import annotations

from cleanpipe.models import Draft, Origin
from cleanpipe.stages.merge import merge_drafts, record_id


def _draft(path: str, text: str, **meta: str) -> Draft:
    origin = Origin(format="text", path=path, sha256=path[0] * 64)
    return Draft(origin=origin, paragraphs=tuple(text.split("\n\n")), **meta)


def test_most_complete_text_is_kept_and_listed_first() -> None:
    short = _draft("a.txt", "Rice exports rose.")
    full = _draft("b.txt", "Rice exports rose.\n\nThe ministry said so.")
    article = merge_drafts([short, full])
    assert article.text == full.text
    assert [o.path for o in article.origins] == ["b.txt", "a.txt"]
    assert article.id == record_id(full.text)
    assert article.word_count == 7


def test_ties_go_to_the_first_origin_whatever_the_input_order() -> None:
    one = _draft("a.txt", "Same words here.")
    two = _draft("b.txt", "Same words there.")
    assert merge_drafts([two, one]) == merge_drafts([one, two])
    assert merge_drafts([two, one]).origins[0].path == "a.txt"


def test_metadata_is_the_first_non_null_in_policy_order() -> None:
    kept = _draft("z.txt", "Rice exports rose.\n\nThe ministry said so.", title="Kept title")
    other1 = _draft("a.txt", "Rice exports rose.", date="2023-10-13", title="Other title")
    other2 = _draft("b.txt", "Rice exports rose.", source="VNA", date="2023-10-14")
    article = merge_drafts([other2, kept, other1])
    assert article.title == "Kept title"
    assert article.date == "2023-10-13"  # a.txt sorts before b.txt
    assert article.source == "VNA"
    assert [o.path for o in article.origins] == ["z.txt", "a.txt", "b.txt"]


def test_a_copys_record_is_the_article_model_dump_byte_for_byte() -> None:
    # The work-folder merge serialises merge_copies' dict without building an
    # Article: it must be exactly what the validated model dumps.
    import orjson

    from cleanpipe.models import Article
    from cleanpipe.stages.merge import Copy, merge_copies

    jsonl = Origin(format="jsonl", path="feed.jsonl", line=7, sha256="e" * 64)
    drafts = [
        _draft("b.txt", "Rice exports rose.", source="VNA", language="en"),
        Draft(origin=jsonl, paragraphs=("Rice exports rose.", "Then more."), url="https://x/1"),
        _draft("a.txt", "Café prices rose by 5%.", dateline="Ben Tre", date="2023-10-13"),
    ]
    for group in ([drafts[0]], drafts[:2], drafts):
        record = merge_copies([Copy.of(d) for d in group])
        article = Article.model_validate(record)
        assert article == merge_drafts(group)
        dumped = orjson.dumps(article.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
        assert orjson.dumps(record, option=orjson.OPT_SORT_KEYS) == dumped
