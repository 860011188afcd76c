// Expands a calendar file with ical.js' RecurExpansion (through
// Event.iterator, which applies RECURRENCE-ID overrides) and prints, per
// UID, each instance's start in UTC and its status, as JSON.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

// ical.js as `npm install --prefix target/ical-js ical.js` put it (argv[3]).
const ICAL = (await import(pathToFileURL(process.argv[3]).href)).default;

const calendar = new ICAL.Component(ICAL.parse(readFileSync(process.argv[2], "utf8")));
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(vtimezone));
}
const found = {};
const add = (uid, start, status) => (found[uid] ??= []).push([start, status]);
const utc = (time) => time.convertToZone(ICAL.Timezone.utcTimezone).toString().replace(/\.\d+/, "").replace(/Z?$/, "Z");
const byUid = {};
for (const vevent of calendar.getAllSubcomponents("vevent")) {
  (byUid[vevent.getFirstPropertyValue("uid")] ??= []).push(vevent);
}
for (const [uid, components] of Object.entries(byUid)) {
  const master = components.find((c) => !c.hasProperty("recurrence-id"));
  const event = new ICAL.Event(master);
  for (const other of components.filter((c) => c.hasProperty("recurrence-id"))) {
    event.relateException(other);
  }
  if (!event.isRecurring()) {
    add(uid, utc(event.startDate), master.getFirstPropertyValue("status") || "CONFIRMED");
    continue;
  }
  const iterator = event.iterator();
  for (let next = iterator.next(); next; next = iterator.next()) {
    const details = event.getOccurrenceDetails(next);
    const status = details.item.component.getFirstPropertyValue("status") || "CONFIRMED";
    add(uid, utc(details.startDate), status);
  }
}
console.log(JSON.stringify(found));
