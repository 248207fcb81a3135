"""The web demo end to end: the real server (``server.serving``, uvicorn in a subprocess) and
``helpers/demo/index.html`` in a real headless Chromium, driven by playwright's sync API.

Needs playwright (the Python package) and a Chromium on the machine: ``CHROMIUM`` names one,
else the first of chromium, chromium-browser, google-chrome on the PATH. Without them the tests
are skipped, except under ``CI=true``, where they fail: CI must run them.

The model is ``tiny_tagger`` (random weights): the tests compare the page with what the API
answers for the same text, never with particular entity types.
"""

from __future__ import annotations

import os
import re
import shutil

import httpx
import pytest

from helpers import server as service
from helpers.store import AnnotationStore
from helpers.tagging import tags_from_char_spans, word_spans

SENTENCE = "took 400mg ibuprofen for a headache in my left knee at 9am"
ADDED_TYPE = "MEDICATION"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _missing(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, so the browser tests must run, not be skipped")
    pytest.skip(reason)


def _chromium() -> str | None:
    named = os.environ.get("CHROMIUM")
    if named:
        return shutil.which(named) or (named if os.path.isfile(named) else None)
    return next(filter(None, map(shutil.which, BROWSERS)), None)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install playwright)")
    path = _chromium()
    if path is None:
        _missing(f"no Chromium: CHROMIUM={os.environ['CHROMIUM']!r} is no program"
                 if os.environ.get("CHROMIUM")
                 else f"no Chromium: none of {', '.join(BROWSERS)} on the PATH (or set CHROMIUM)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tiny_tagger, tmp_path_factory):
    """The real server on a free port; its corrections store (and request log) in a temp dir."""
    folder = tmp_path_factory.mktemp("demo")
    store_path = folder / "corrections.jsonl"
    with service.serving(tiny_tagger, store_path=store_path) as url:  # request log beside it
        yield url, AnnotationStore(store_path)


@pytest.fixture
def page(browser, server):
    """A fresh page on the demo; fails the test on a script error or a request off the server."""
    url, _ = server
    context = browser.new_context()
    tab = context.new_page()
    problems = []
    tab.on("pageerror", lambda err: problems.append(f"script error: {err}"))
    tab.on("request", lambda request: request.url.startswith(url)
           or problems.append(f"request off the server: {request.url}"))
    tab.set_default_timeout(10_000)
    tab.goto(f"{url}/")
    yield tab
    context.close()
    assert not problems


def _expect():
    from playwright.sync_api import expect

    return expect


def _find(page, text: str, keyboard: bool = False):
    page.fill("#log", text)
    if keyboard:
        page.press("#log", "Control+Enter")
    else:
        page.click("#find")
    _expect()(page.locator("#status")).to_have_text(re.compile(r"\d+ entit(y|ies) found"))


def _marks(page) -> list[dict]:
    return page.locator("#entities mark").evaluate_all(
        "marks => marks.map(m => ({start: +m.dataset.start, end: +m.dataset.end, "
        "type: m.dataset.type, removed: m.dataset.removed === 'true', "
        "word: m.querySelector('.word').textContent, tag: m.querySelector('.tag').textContent}))")


def _shown_text(page) -> str:
    """The highlighted output's text without the type labels and buttons."""
    return page.locator("#entities").evaluate(
        "el => { const copy = el.cloneNode(true); "
        "copy.querySelectorAll('.tag, button').forEach(n => n.remove()); "
        "return copy.textContent; }")


def _select(page, start: int, end: int):
    page.locator("#log").evaluate(f"el => {{ el.focus(); el.setSelectionRange({start}, {end}); }}")


def test_find_correct_and_send_a_correction(page, server):
    url, store = server
    expect = _expect()
    health = httpx.get(f"{url}/healthz").json()
    expect(page.locator("#version")).to_contain_text(health["model_version"])
    expect(page.locator("#version")).to_contain_text(health["model_id"])
    assert page.locator("#legend li").all_text_contents() == [
        "SYMPTOM", "BODY_PART", "MEDICATION", "DOSAGE", "TIME"]

    _find(page, SENTENCE)
    answer = httpx.post(f"{url}/v1/entities", json={"texts": [SENTENCE]}).json()
    predicted = answer["results"][0]["entities"]
    assert predicted, "the tiny tagger found nothing in the sentence: the test needs an entity"
    marks = _marks(page)
    assert [(m["start"], m["end"], m["type"]) for m in marks] == [
        (e["start"], e["end"], e["type"]) for e in predicted]
    assert [(m["word"], m["tag"]) for m in marks] == [
        (SENTENCE[e["start"]:e["end"]], e["type"]) for e in predicted]
    assert _shown_text(page) == SENTENCE

    first, kept = predicted[0], predicted[1:]
    page.locator("#entities mark").first.get_by_role("button", name="✗ wrong").click()
    assert _marks(page)[0]["removed"] and not any(m["removed"] for m in _marks(page)[1:])

    # a word no kept entity touches, one outside the removed entity if there is one
    free = [(w, s, e) for w, s, e in word_spans(SENTENCE) if w.isalnum()
            and not any(k["start"] < e and s < k["end"] for k in kept)]
    free.sort(key=lambda span: first["start"] < span[2] and span[1] < first["end"])
    word, start, end = free[0]
    _select(page, start, end)
    expect(page.locator("#selection")).to_have_text(
        f"Selected: “{word}” (characters {start}–{end})")
    page.select_option("#type", ADDED_TYPE)
    page.click("#add")
    added = page.locator(f'#entities mark[data-start="{start}"][data-end="{end}"]')
    expect(added).to_have_attribute("data-type", ADDED_TYPE)

    page.click("#send")
    expect(page.locator("#status")).to_have_text(re.compile(r"Saved \(id user-\w+\) — thank you"))
    records = store.records()
    assert len(records) == 1
    record = records[0]
    assert record["id"] in page.locator("#status").text_content()
    assert (record["text"], record["source"]) == (SENTENCE, "web demo")
    assert record["model_version"] == record["served_version"] == health["model_version"]
    assert [(e["start"], e["end"], e["type"], e["text"]) for e in record["predicted"]] == [
        (e["start"], e["end"], e["type"], e["text"]) for e in predicted]
    corrected = [*kept, {"start": start, "end": end, "type": ADDED_TYPE}]
    assert (record["tokens"], record["tags"]) == tags_from_char_spans(SENTENCE, corrected)
    for (_, s, e), tag in zip(word_spans(SENTENCE), record["tags"]):
        if (s, e) == (start, end):
            assert tag == f"B-{ADDED_TYPE}"
        elif first["start"] < e and s < first["end"]:
            assert tag == "O"  # the removed entity's words


def test_errors_are_shown_and_nothing_is_stored(page, server):
    _, store = server
    expect = _expect()
    before = len(store.records())
    status = page.locator("#status")

    page.click("#send")  # empty text box
    expect(status).to_have_text(re.compile("^Nothing to send"))
    expect(status).to_have_class("error")
    page.click("#find")
    expect(status).to_have_text("Type a health log first.")

    _find(page, "<b>fever</b> <img src=x onerror=alert(1)>")  # user text is text, not HTML
    assert page.locator("#entities b, #entities img").count() == 0
    assert _shown_text(page) == "<b>fever</b> <img src=x onerror=alert(1)>"

    _find(page, SENTENCE, keyboard=True)  # Ctrl+Enter
    for button in page.locator("#entities mark button").all():
        button.click()  # every entity marked wrong
    space = SENTENCE.index(" ")
    _select(page, space, space + 1)  # a span the server can map to no word
    page.click("#add")
    page.click("#send")
    expect(status).to_have_text(
        f"The server said: entities[0]: characters {space}-{space + 1} hold no word")
    expect(status).to_have_class("error")

    page.fill("#log", SENTENCE + " again")  # the offsets no longer fit the text
    page.click("#send")
    expect(status).to_contain_text("The text changed")
    assert len(store.records()) == before


# Emoji with a skin-tone modifier and a ZWJ family (each several UTF-16 units and code points),
# CJK, and a letter with a combining accent, all before the entities.
UNICODE_LOG = "👍🏽 👨‍👩‍👧 今日は 🤕 cafe\u0301: took 400mg ibuprofen for a headache in my left knee at 9am"


def _units(text: str, points: int) -> int:
    """The UTF-16 offset (what the browser counts) of a code-point offset (what Python counts)."""
    return len(text[:points].encode("utf-16-le")) // 2


def test_emoji_before_the_entities_highlight_and_store_the_right_words(page, server):
    """The API's offsets count code points, the browser's UTF-16 units: the page must convert at
    the boundary, or it highlights "ok 40" for "400mg" and stores a correction on the wrong words."""
    url, store = server
    expect = _expect()
    text = UNICODE_LOG
    assert _units(text, len(text)) > len(text)  # the two counts differ on this text

    _find(page, text)
    predicted = httpx.post(f"{url}/v1/entities", json={"texts": [text]}).json()["results"][0]["entities"]
    assert predicted, "the tiny tagger found nothing: the test needs an entity"
    marks = _marks(page)
    assert [(m["start"], m["end"], m["type"]) for m in marks] == [
        (e["start"], e["end"], e["type"]) for e in predicted]  # the API's offsets, unchanged
    assert [m["word"] for m in marks] == [text[e["start"]:e["end"]] for e in predicted]
    assert [m["word"] for m in marks] == [e["text"] for e in predicted]
    assert _shown_text(page) == text

    for button in page.locator("#entities mark button").all():
        button.click()  # every prediction wrong: the user's entity clashes with none
    start = text.index("ibuprofen")
    end = start + len("ibuprofen")
    _select(page, _units(text, start), _units(text, end))
    expect(page.locator("#selection")).to_have_text(f"Selected: “ibuprofen” (characters {start}–{end})")
    page.select_option("#type", ADDED_TYPE)
    page.click("#add")
    added = page.locator(f'#entities mark[data-start="{start}"][data-end="{end}"]')
    expect(added).to_have_attribute("data-type", ADDED_TYPE)
    expect(added.locator(".word")).to_have_text("ibuprofen")

    before = len(store.records())
    page.click("#send")
    expect(page.locator("#status")).to_have_text(re.compile(r"Saved \(id user-\w+\) — thank you"))
    record = store.records()[before]
    assert record["text"] == text
    tags = dict(zip(record["tokens"], record["tags"]))
    assert tags["ibuprofen"] == f"B-{ADDED_TYPE}" and tags["for"] == "O" and tags["400mg"] == "O"
    assert (record["tokens"], record["tags"]) == tags_from_char_spans(
        text, [{"start": start, "end": end, "type": ADDED_TYPE}])
    assert [(e["start"], e["end"], e["text"]) for e in record["predicted"]] == [
        (e["start"], e["end"], e["text"]) for e in predicted]


def test_a_selection_through_half_an_emoji_takes_the_whole_emoji(page, server):
    """Half of a surrogate pair is no character: the page widens the selection to the whole emoji
    rather than send an offset that Python cannot place."""
    text = "🤕 headache"
    _find(page, text)
    _select(page, 1, 2)  # the second half of 🤕's two UTF-16 units
    _expect()(page.locator("#selection")).to_have_text("Selected: “🤕” (characters 0–1)")
