"""The public status: ``/status`` (JSON), ``/status.html`` (people), ``/status.atom`` (notes)
and ``/sites/{site}/status`` (what the widget needs). Built only from stored reports."""

from __future__ import annotations

from html import escape as html_escape
from string import Template
from typing import Any

from chalicelib.health import notes, reports
from chalicelib.health.probes import why
from chalicelib.health.states import State
from chalicelib.platform import clock, config
from chalicelib.store import ephemeral
from chalicelib.store.replicas import STORAGE_ERRORS

HEADLINES = {
    "ok": "sidenote is operating normally",
    "degraded": "sidenote is degraded",
    "down": "sidenote is down",
    "unknown": "sidenote's status is unknown",
}
CHECK_LABELS = {
    "canary": "Comment store",
    "replication": "Replication",
    "queue": "Write queue",
    "moderation": "Moderation queue",
    "responses": "Answers",
    "tables": "Tables",
    "read_only": "Writes",
}
REFRESH_SECONDS = 15


def document(now: float | None = None) -> dict[str, Any]:
    """Everything the status page shows, as JSON (``GET /status``)."""
    now = clock.now() if now is None else now
    body = reports.status(now)
    for region in body["regions"]:
        region["timeline"] = reports.timeline(region["region"], now)
    recent = notes.recent(limit=20)
    body["notes"] = [n.view() for n in recent]
    body["active_notes"] = len(notes.active(notes=[n for n in recent if n.site is None]))
    return body


def unavailable(exc: BaseException) -> dict[str, Any]:
    """What to say when the status store itself doesn't answer."""
    region = config.settings.region
    return {
        "status": "down",
        "generated": clock.rfc3339(),
        "reason": f"the status store in {region} doesn't answer ({why(exc)}): "
        "this region is probably down",
        "regions": [],
        "notes": [],
    }


def read() -> tuple[dict[str, Any], bool]:
    """(document, True) or, if the store fails, (a 'down' document, False)."""
    try:
        return document(), True
    except STORAGE_ERRORS as exc:
        return unavailable(exc), False


# --- HTML ---------------------------------------------------------------------------------


def _h(value: Any) -> str:
    return html_escape(str(value if value is not None else ""), quote=True)


def _when(stamp: str | None) -> str:
    return stamp.replace("T", " ").replace("Z", " UTC") if stamp else "never"


def _note_html(note: dict[str, Any]) -> str:
    resolved = note["resolved"]
    state = f"Resolved {_when(resolved)}" if resolved else "Active"
    scope = f" · site {_h(note['site'])}" if note["site"] else ""
    rest = note["text"].strip().split("\n", 1)
    details = _h(rest[1].strip()) if len(rest) > 1 else ""
    resolution = (
        f"<p><strong>Resolution:</strong> {_h(note['resolution'])}</p>"
        if (note["resolution"])
        else ""
    )
    return (
        f'<article class="note{" resolved" if resolved else ""}" data-note="{_h(note["id"])}">'
        f"<h3>{_h(note['summary'])}</h3>"
        + (f"<p>{details}</p>" if details else "")
        + resolution
        + f'<p class="when">{state} · posted {_when(note["created"])}{scope}</p></article>'
    )


def _checks_html(report: dict[str, Any] | None) -> str:
    if not report:
        return ""
    rows = []
    for check in report.get("checks", []):
        if check["name"] == "tables" and check["state"] == "ok":
            continue
        label = CHECK_LABELS.get(check["name"], check["name"])
        bad = ' class="bad"' if check["state"] != "ok" else ""
        rows.append(f"<dt>{_h(label)}</dt><dd{bad}>{_h(check['detail'])}</dd>")
    return f'<dl class="checks">{"".join(rows)}</dl>'


def _timeline_html(slots: list[dict[str, Any]]) -> str:
    bars = []
    for slot in slots:
        counts = ", ".join(f"{slot[s]} {s}" for s in ("ok", "degraded", "down") if slot[s])
        title = f"{_when(slot['start'])}: {counts or 'no report'}"
        bars.append(f'<span class="slot state-{slot["state"]}" title="{_h(title)}"></span>')
    return (
        f'<div class="timeline" role="img" aria-label="last 24 hours">{"".join(bars)}</div>'
        '<div class="axis"><span>24 h ago</span><span>now</span></div>'
    )


def _region_html(region: dict[str, Any]) -> str:
    state = region["status"]
    reason = region.get("reason") or "Everything works."
    changing = region.get("changing_to")
    since = f"{state} since {_when(region.get('since'))}" if region.get("since") else ""
    if changing:
        since += f" · looks {changing} (waiting for confirmation)"
    return (
        f'<article class="region state-{_h(state)}" data-region="{_h(region["region"])}" '
        f'data-state="{_h(state)}"><h3>{_h(region["region"])} '
        f'<span class="badge">{_h(state)}</span></h3>'
        f'<p class="reason">{_h(reason)}</p><p class="meta">{_h(since)}</p>'
        + _checks_html(region.get("report"))
        + _timeline_html(region.get("timeline", []))
        + "</article>"
    )


def html(base: str, body: dict[str, Any]) -> str:
    from chalicelib.platform.static import read

    overall = body["status"]
    reasons = [
        f"{r['region']}: {r['reason']}"
        for r in body["regions"]
        if r["status"] != "ok" and r.get("reason")
    ]
    overall_reason = (
        body.get("reason")
        or "; ".join(reasons)
        or ("Comments can be read and posted in every region." if overall == "ok" else "")
    )
    note_items = body["notes"]
    active = [n for n in note_items if not n["resolved"]]
    shown = active + [n for n in note_items if n["resolved"]][:5]
    notes_html = "".join(_note_html(n) for n in shown) or "<p>No incident notes.</p>"
    regions_html = "".join(_region_html(r) for r in body["regions"]) or (
        "<p>No region has reported yet.</p>"
    )
    return Template(read("status.html")).substitute(
        base=_h(base),
        refresh=REFRESH_SECONDS,
        overall=_h(overall),
        overall_word=_h(overall),
        headline=_h(HEADLINES.get(overall, HEADLINES["unknown"])),
        overall_reason=_h(overall_reason),
        generated=_h(body["generated"]),
        generated_words=_h(_when(body["generated"])),
        notes=notes_html,
        regions=regions_html,
    )


# --- Atom ---------------------------------------------------------------------------------


def atom(base: str, items: list[notes.Note]) -> str:
    """The incident notes as an Atom feed: well-formed XML 1.0 whatever the notes hold."""
    from chalicelib.platform.atom import PROLOG, attribute, component, text

    self_url = f"{base}/status.atom"
    page = f"{base}/status.html"
    updated = max((n.updated for n in items), default=clock.rfc3339())
    entries = []
    for note in items:
        title = ("[Resolved] " if note.resolved else "") + note.summary
        body = note.text + (f"\n\nResolution: {note.resolution}" if note.resolution else "")
        entries.append(
            "".join(
                [
                    "<entry>",
                    f"<id>{text(f'{base}/status.atom#{component(note.id)}')}</id>",
                    f"<title>{text(title)}</title>",
                    f"<updated>{text(note.updated)}</updated>",
                    f"<published>{text(note.created)}</published>",
                    f'<link rel="alternate" href={attribute(page)}/>',
                    f'<content type="text">{text(body)}</content>',
                    "</entry>",
                ]
            )
        )
    return "".join(
        [
            PROLOG,
            '<feed xmlns="http://www.w3.org/2005/Atom">',
            f"<id>{text(self_url)}</id>",
            "<title>sidenote status notes</title>",
            f"<updated>{text(updated)}</updated>",
            f'<link rel="self" href={attribute(self_url)}/>',
            f'<link rel="alternate" href={attribute(page)}/>',
            "<author><name>sidenote operators</name></author>",
            "<generator>sidenote</generator>",
            *entries,
            "</feed>",
        ]
    )


# --- the widget's summary -----------------------------------------------------------------


def site_summary(base: str, site: Any) -> dict[str, Any]:
    """``GET /sites/{site}/status``: this region's state, the site's read-only switch, and the
    active note the widget shows (``show_note``) while the site is degraded or read-only."""
    region = config.settings.region
    fields = ephemeral.read_state(region, consistent=False)
    if fields is None:
        status = "unknown"
    else:
        state = State(**fields)
        status = "down" if state.stale(clock.now()) else state.state
    from chalicelib.resilience import switches

    message = site.read_only or switches.service_message() or None
    active = sorted(notes.active(site.id), key=lambda n: n.created, reverse=True)
    active.sort(key=lambda n: n.site is None)  # the site's own notes first, newest first
    note = active[0] if active else None
    return {
        "site": site.id,
        "region": region,
        "status": status,
        "read_only": bool(message),
        "message": message,
        "note": {
            "id": note.id,
            "summary": note.summary,
            "created": note.created,
            "url": f"{base}/status.html",
        }
        if note
        else None,
        "show_note": bool(note) and (status != "ok" or bool(message)),
    }
