"""The dashboard in a real browser: Debian's chromium driven by Playwright.

`make test` installs chromium when it is missing (as root). Playwright never downloads a
browser of its own here: it launches /usr/bin/chromium. Without that browser these tests
skip, saying so loudly; they never skip for any other reason.
"""

import os
import threading

import pytest
import scenario
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser

NO_BROWSER = (
    f"!!! BROWSER TESTS SKIPPED: {CHROMIUM} is missing. Run `make test` as root "
    "(it installs Debian's chromium) or `apt-get install chromium` !!!"
)


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(NO_BROWSER)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def live_server(app):
    """The test's app (and database) served on a free local port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


class Watched:
    """A page whose console errors (CSP violations among them) and page errors are kept."""

    def __init__(self, context):
        self.page = context.new_page()
        self.problems = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(m.text))
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport=DESKTOP)
    yield Watched(context)
    context.close()


def sign_in(page, base, token):
    page.goto(f"{base}/dashboard/")
    assert page.url.startswith(f"{base}/dashboard/login")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard/")


def no_sideways_scrolling(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_sign_in_find_lacking_incidents_and_see_the_gaps(
    desktop, browser, live_server, make, tokens, tmp_path
):
    data = scenario.build(make)
    page, base = desktop.page, live_server
    sign_in(page, base, tokens["oversight"])
    assert page.locator("h1").inner_text() == "Bodycam coverage"
    assert page.locator("#total-incidents").inner_text() == "3"
    assert page.locator("svg.rate-bars rect.bar").count() == 2
    page.screenshot(path=str(tmp_path / "overview-1280.png"), full_page=True)

    page.click("nav >> text=Lacking footage")
    page.wait_for_url(f"{base}/dashboard/incidents")
    rows = page.locator("table.lacking tbody tr")
    assert rows.count() == 2
    assert page.locator("#lacking-total").inner_text().startswith("2 incidents")
    page.select_option("#f-kind", "arrest")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/dashboard/incidents?**kind=arrest**")
    assert rows.count() == 1
    page.screenshot(path=str(tmp_path / "lacking-1280.png"), full_page=True)

    page.select_option("#f-lacking", "officer_bodycam")
    page.select_option("#f-kind", "")
    page.click("form.filters button[type=submit]")
    page.click(f"text={data['covered']['title']}")
    page.wait_for_url(f"{base}/dashboard/incidents/{data['covered']['id']}")
    gaps = page.locator("svg.timeline rect.gap")
    assert gaps.count() == 2
    drawn = [
        (gaps.nth(n).get_attribute("data-start"), gaps.nth(n).get_attribute("data-end"))
        for n in range(2)
    ]
    assert drawn == [
        ("2026-01-24T15:10:00Z", "2026-01-24T15:15:00Z"),
        ("2026-01-24T15:20:00Z", "2026-01-24T15:30:00Z"),
    ]
    # Gaps are drawn where no bar is: between the bodycam's end and the bystander's start.
    bars = page.locator("svg.timeline rect.span")
    bodycam, bystander = bars.nth(0).bounding_box(), bars.nth(1).bounding_box()
    first_gap = gaps.nth(0).bounding_box()
    assert bodycam["x"] + bodycam["width"] <= first_gap["x"] + 1
    assert first_gap["x"] + first_gap["width"] <= bystander["x"] + 1
    assert first_gap["width"] > 20  # visible: five minutes of a thirty-minute window
    assert page.locator("#gaps li").count() == 2
    assert page.locator("#officers tr[data-covered=no]").inner_text().count("battery died") == 1
    page.screenshot(path=str(tmp_path / "incident-1280.png"), full_page=True)

    page.click("nav >> text=Backlog")
    page.wait_for_url(f"{base}/dashboard/backlog")
    assert page.locator("h1").inner_text() == "Review and custody backlog"
    assert no_sideways_scrolling(page)

    page.click("text=Sign out")
    page.wait_for_url("**/dashboard/login?signed_out=1")
    page.goto(f"{base}/dashboard/incidents")
    assert "/dashboard/login" in page.url
    assert desktop.problems == []


def test_phone_width_and_keyboard(browser, live_server, make, tokens, tmp_path):
    data = scenario.build(make)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    watched = Watched(context)
    page, base = watched.page, live_server
    try:
        # Sign in with the keyboard alone: the token field has the focus from the start.
        # The browser applies autofocus at its next rendering step, which may come after
        # the load event goto() waits for; so wait for it (failing if it never comes).
        page.goto(f"{base}/dashboard/login")
        page.wait_for_function(
            "() => document.activeElement && document.activeElement.id === 'token'", timeout=5000
        )
        page.keyboard.type(tokens["investigator"])
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/dashboard/")
        # The first Tab lands on the skip link, which then shows; it leads to the content.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        box = page.locator(".skip-link").bounding_box()
        assert box["y"] >= 0 and box["height"] > 10
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "content"
        for path, name in (
            ("/dashboard/", "overview"),
            ("/dashboard/incidents", "lacking"),
            (f"/dashboard/incidents/{data['covered']['id']}", "incident"),
            ("/dashboard/backlog", "backlog"),
            ("/dashboard/disclosure", "disclosure"),
        ):
            page.goto(base + path)
            assert no_sideways_scrolling(page), path
            page.screenshot(path=str(tmp_path / f"{name}-390.png"), full_page=True)
        # A visible focus ring on the links and buttons reached by Tab.
        page.goto(f"{base}/dashboard/incidents")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"
        assert watched.problems == []
    finally:
        context.close()


def test_disclosure_deadlines_and_destroyed_footage(desktop, live_server, api, make, tokens):
    """The Disclosure deadlines page (overdue first, the federal incident no rule binds) and a
    disposed bodycam on the incident page: greyed, with who approved it, and the officer's
    footage said to have existed and been destroyed."""
    world = scenario.governance(api, make)
    died, officer, bodycam = world["overdue"], world["officer"], world["bodycam"]

    page, base = desktop.page, live_server
    sign_in(page, base, tokens["oversight"])
    page.click("nav >> text=Disclosure deadlines")
    page.wait_for_url(f"{base}/dashboard/disclosure")
    assert page.locator("h1").inner_text() == "Disclosure deadlines"
    rows = page.locator("#disclosure tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).get_attribute("data-status") == "overdue"
    assert int(rows.nth(0).locator("td.num").inner_text()) > 0  # days late
    assert rows.nth(1).get_attribute("data-status") == "no_rule"
    assert "no state rule applies" in rows.nth(1).inner_text()
    assert page.locator("#count-overdue").inner_text() == "1"
    assert no_sideways_scrolling(page)

    page.click("text=Lake Street death")
    page.wait_for_url(f"{base}/dashboard/incidents/{died['id']}")
    officer_row = page.locator(f"#officers tr[data-officer-id='{officer['id']}']")
    assert "footage existed and was destroyed" in officer_row.inner_text()
    assert "not covered" not in officer_row.inner_text()
    disposed = page.locator(f"#disposed tr.disposed[data-source-id='{bodycam['id']}']")
    assert disposed.count() == 1
    text = disposed.inner_text()
    assert "admin" in text and "investigator" in text and "uploaded twice" in text
    grey = disposed.locator("td").first.evaluate("e => getComputedStyle(e).color")
    assert grey == "rgb(107, 117, 128)"
    assert desktop.problems == []


def test_a_csp_violation_would_be_seen(desktop, live_server, tokens):
    """The console watch catches CSP violations: an inline style without the nonce is one."""
    page = desktop.page
    page.goto(f"{live_server}/dashboard/login")
    page.evaluate("""() => { const s = document.createElement('script');
                              s.textContent = '1'; document.body.appendChild(s); }""")
    page.wait_for_timeout(100)
    assert any("Content Security Policy" in problem for problem in desktop.problems)


def test_moments_are_markers_on_the_timeline_and_officer_lanes_show_stops(
    desktop, live_server, make, api, tokens, tmp_path
):
    data = scenario.build(make)
    incident = data["covered"]["id"]
    for label, at in (("first contact", "15:02:00"), ("shots fired", "15:05:00")):
        api.create(f"/incidents/{incident}/moments", {"label": label, "at": f"2026-01-24T{at}Z"})
    page, base = desktop.page, live_server
    sign_in(page, base, tokens["oversight"])
    page.goto(f"{base}/dashboard/incidents/{incident}")
    markers = page.locator("svg.timeline g.moment")
    assert markers.count() == 2
    assert [markers.nth(n).get_attribute("data-at") for n in range(2)] == [
        "2026-01-24T15:02:00Z",
        "2026-01-24T15:05:00Z",
    ]
    assert "shots fired" in markers.nth(1).inner_html()
    # Each marker is a vertical line drawn at its time: over the bodycam's bar (15:00-15:10),
    # the second to the right of the first, half-way through the bar.
    bar = page.locator("svg.timeline rect.span").nth(0).bounding_box()
    first = markers.nth(0).locator("line").bounding_box()
    second = markers.nth(1).locator("line").bounding_box()
    assert bar["x"] < first["x"] < second["x"] < bar["x"] + bar["width"]
    assert abs(second["x"] + second["width"] / 2 - (bar["x"] + bar["width"] / 2)) < 3
    assert second["height"] > bar["height"]  # across the rows, not a tick
    # The moments' table gives the same facts in words.
    assert page.locator("#moments tbody tr").count() == 2
    # Officer A stopped at 15:10, 20 minutes before the end; officer B has no bodycam.
    lane_a = page.locator(f"g.officer-lane[data-officer-id='{data['officer_a']['id']}']")
    assert lane_a.get_attribute("data-early-stop") == "yes"
    assert lane_a.get_attribute("data-late-start") == "no"
    stop = lane_a.locator("rect.early-stop")
    assert (stop.get_attribute("data-start"), stop.get_attribute("data-end")) == (
        "2026-01-24T15:10:00Z",
        "2026-01-24T15:30:00Z",
    )
    lane_b = page.locator(f"g.officer-lane[data-officer-id='{data['officer_b']['id']}']")
    assert "no bodycam" in lane_b.inner_html()
    page.screenshot(path=str(tmp_path / "incident-moments-1280.png"), full_page=True)
    assert desktop.problems == []
