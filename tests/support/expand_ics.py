"""Expands a calendar file with recurring-ical-events (on icalendar) and
prints, per UID, each instance's start in UTC and its status, as JSON."""
import datetime
import json
import sys

import icalendar
import recurring_ical_events

calendar = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
found = {}
for instance in recurring_ical_events.of(calendar).between((2029, 1, 1), (2036, 1, 1)):
    start = instance["DTSTART"].dt.astimezone(datetime.timezone.utc)
    status = str(instance.get("STATUS", "CONFIRMED"))
    found.setdefault(str(instance["UID"]), []).append([start.strftime("%Y-%m-%dT%H:%M:%SZ"), status])
print(json.dumps(found))
