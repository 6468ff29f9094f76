"""Content-Security-Policy, Referrer-Policy and Permissions-Policy on every
page; templates that need no inline script, inline style or eval."""

from __future__ import annotations

import re
from pathlib import Path

from people.models import Role

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def _assert_strict(response) -> None:
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_every_page_has_a_strict_policy(client, daejeon, make_member):
    client.force_login(make_member(daejeon["서구"], Role.COORDINATOR))
    for url in ("/", "/accounts/login/", "/dashboard/", "/finance/", "/donors/", "/no-such-page/"):
        _assert_strict(client.get(url))


def test_the_api_and_its_documentation_have_the_policy_too(client, db):
    for url in ("/api/v1/regions/", "/api/v1/docs/", "/api/v1/schema/"):
        _assert_strict(client.get(url))


def test_swagger_ui_needs_no_inline_script_or_style(client, db):
    response = client.get("/api/v1/docs/")
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts
    assert all('src="' in attrs and not body.strip() for attrs, body in scripts), scripts
    assert "<style" not in html
    start = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1)
    script = client.get(start.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_pages_load_htmx_and_the_site_script_without_the_debug_script(client, db, settings):
    settings.DEBUG = True
    html = client.get("/").content.decode()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert scripts == ["/static/django_htmx/htmx-2.min.js", "/static/js/site.js"]
    assert '"includeIndicatorStyles": false' in html
    assert '"attributesToSettle": ["class", "width", "height"]' in html


def test_no_template_has_inline_handlers_scripts_styles_or_eval_filters():
    offenders = []
    pattern = re.compile(
        r"hx-on|\son[a-z]+=|style=|<style|<script(?![^>]*\ssrc=)|hx-vals=['\"]js:|"
        r"hx-trigger=\"[^\"]*\[",
    )
    for path in TEMPLATES.rglob("*.html"):
        text = re.sub(r"\{#.*?#\}", "", path.read_text())
        text = re.sub(r"\{% comment %\}.*?\{% endcomment %\}", "", text, flags=re.S)
        for number, line in enumerate(text.splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_lockout_page_has_the_policy(client, db, django_user_model):
    django_user_model.objects.create_user(username="kim", password="right-password-1")
    for _ in range(6):
        response = client.post("/accounts/login/", {"username": "kim", "password": "wrong"})
    assert response.status_code == 429
    _assert_strict(response)
