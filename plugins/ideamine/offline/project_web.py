"""The generated service's web interface: an accessible page, a small script, stylesheet and logo.

Text from the idea reaches the page only through ``html.escape``; the script renders records with
``textContent``, never as markup.
"""

from __future__ import annotations

import html

from ideamine.offline.common import RELEASE_VERSION
from ideamine.offline.design import logo_svg, stylesheet
from ideamine.offline.domain import Resource


def _heading(resource: Resource) -> str:
    return html.escape(resource.entity.path.replace("-", " ").capitalize())


def _section(resource: Resource) -> str:
    e = resource.entity
    key = e.path
    heading = _heading(resource)
    label = html.escape(e.label)
    return f"""    <section id="section-{key}" aria-labelledby="heading-{key}" data-resource="{key}">
      <h2 id="heading-{key}">{heading}</h2>
      <form class="create-form" data-resource="{key}">
        <div class="field">
          <label for="{key}-name">Name</label>
          <input id="{key}-name" name="name" type="text" required maxlength="200">
        </div>
        <div class="field">
          <label for="{key}-description">Description</label>
          <textarea id="{key}-description" name="description" maxlength="2000"></textarea>
        </div>
        <button type="submit">Add {label}</button>
        <p class="form-status" role="status" aria-live="polite"></p>
      </form>
      <ul class="records" aria-label="{label} records"></ul>
    </section>
"""


def index_html(title: str, summary: str, found: list[Resource]) -> str:
    t = html.escape(title, quote=True)
    links = "".join(f'        <li><a href="#section-{r.entity.path}">{_heading(r)}</a></li>\n' for r in found)
    sections = "".join(_section(r) for r in found)
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{t}</title>
  <link rel="stylesheet" href="/static/styles.css">
  <link rel="icon" href="/static/logo.svg" type="image/svg+xml">
  <script src="/static/app.js" defer></script>
</head>
<body>
  <a class="skip-link" href="#main">Skip to content</a>
  <header class="site-header">
    <img src="/static/logo.svg" alt="{t} logo" width="48" height="48">
    <h1>{t}</h1>
  </header>
  <main id="main">
    <p class="lead">{html.escape(summary, quote=True)}</p>
    <nav aria-label="Resources">
      <ul>
{links}      </ul>
    </nav>
{sections}  </main>
  <footer>
    <p>Version {RELEASE_VERSION}</p>
  </footer>
</body>
</html>
"""


APP_JS = """"use strict";
// Loads each resource's records and creates new ones from its form. Records are shown with
// textContent, so stored text is never interpreted as markup.

function renderRecords(list, items) {
  list.replaceChildren();
  for (const item of items) {
    const entry = document.createElement("li");
    entry.textContent = item.description ? item.name + ": " + item.description : item.name;
    list.appendChild(entry);
  }
}

async function load(section) {
  const response = await fetch("/api/" + encodeURIComponent(section.dataset.resource));
  if (response.ok) {
    const page = await response.json();
    renderRecords(section.querySelector(".records"), page.items);
  }
}

async function submit(event) {
  event.preventDefault();
  const form = event.target;
  const status = form.querySelector(".form-status");
  const body = {};
  for (const [key, value] of new FormData(form).entries()) {
    if (value !== "") {
      body[key] = value;
    }
  }
  const response = await fetch("/api/" + encodeURIComponent(form.dataset.resource), {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  status.textContent = response.ok ? "Saved." : "Not saved: " + answer.error;
  if (response.ok) {
    form.reset();
    load(form.closest("section"));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const section of document.querySelectorAll("section[data-resource]")) {
    load(section);
    section.querySelector("form").addEventListener("submit", submit);
  }
});
"""


def web_files(title: str, summary: str, found: list[Resource]) -> dict[str, str]:
    return {
        "app/static/index.html": index_html(title, summary, found),
        "app/static/styles.css": stylesheet(title),
        "app/static/app.js": APP_JS,
        "app/static/logo.svg": logo_svg(title),
    }
