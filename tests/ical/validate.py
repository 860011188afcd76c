#!/usr/bin/env python3
"""Read an .ics file with Python's `icalendar` package (7.x), an independent
parser used by many tools, to check that our feeds load outside Rust.

Usage: validate.py FILE.ics

Exits 1 with a message on stderr if the file does not parse, has no
VCALENDAR, or any component recorded a parse error (the package tolerates
broken properties by default and only notes them in `.errors`). Otherwise
prints one JSON object per VEVENT, one per line, with the values unescaped:
uid, summary, description, location, url, status, sequence, categories,
dtstart, dtend, last_modified (date-times as ISO 8601 UTC, `...Z`); a missing
property is null.
"""

import json
import sys
from datetime import datetime, timezone


def fail(message: str) -> None:
    print(f"validate.py: {message}", file=sys.stderr)
    sys.exit(1)


def text(event, name):
    value = event.get(name)
    return None if value is None else str(value)


def utc(event, name):
    prop = event.get(name)
    if prop is None:
        return None
    value = prop.dt
    if not isinstance(value, datetime) or value.utcoffset() != timezone.utc.utcoffset(None):
        fail(f"{name} is not a UTC date-time: {value!r}")
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def categories(event):
    props = event.get("CATEGORIES")
    if props is None:
        return None
    props = props if isinstance(props, list) else [props]
    return [str(c) for prop in props for c in prop.cats]


def main() -> None:
    if len(sys.argv) != 2:
        fail("usage: validate.py FILE.ics")
    try:
        import icalendar
    except ImportError:
        fail("the Python package icalendar is not installed (pip install icalendar)")
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except Exception as e:  # any parse failure, whatever its type
        fail(f"parse error: {e}")
    if calendar.name != "VCALENDAR":
        fail(f"top-level component is {calendar.name!r}, not VCALENDAR")
    errors = [(c.name, e) for c in calendar.walk() for e in c.errors]
    if errors:
        fail(f"parse errors: {errors}")
    for event in calendar.walk("VEVENT"):
        sequence = event.get("SEQUENCE")
        row = {
            "uid": text(event, "UID"),
            "summary": text(event, "SUMMARY"),
            "description": text(event, "DESCRIPTION"),
            "location": text(event, "LOCATION"),
            "url": text(event, "URL"),
            "status": text(event, "STATUS"),
            "sequence": None if sequence is None else int(sequence),
            "categories": categories(event),
            "dtstart": utc(event, "DTSTART"),
            "dtend": utc(event, "DTEND"),
            "last_modified": utc(event, "LAST-MODIFIED"),
        }
        print(json.dumps(row))


if __name__ == "__main__":
    main()
