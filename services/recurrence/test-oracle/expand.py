"""Independent oracle for Todo's recurrence expansion (services/recurrence/src/occurrences.ts).

Reads a JSON array of cases on stdin, each
    {"rule": "FREQ=MONTHLY;BYDAY=2FR", "start": "2027-01-08T08:00:00Z",
     "timeZone": "Europe/Berlin", "count": 12}
where "start" is the series' first occurrence (a UTC instant, whole seconds; its local wall-clock
time in "timeZone" is the DTSTART) and "count" the most occurrences wanted, and prints a JSON array
with, for each case, its occurrences as UTC instants ("2027-01-08T08:00:00Z").

The expansion is python-dateutil's `rrulestr` with `zoneinfo` time zones. Todo's documented
conventions (docs/recurrence.md) are applied on top, independently of the TypeScript code:
  * the series is the rule's occurrences at or after the start instant: DTSTART is one only when
    it matches the rule (dateutil's own behaviour, and Todoist's);
  * each instant occurs once, and COUNT counts distinct instants: an HOURLY 02:30 in a DST gap is
    03:30, the same instant as the real 03:30 that follows it, and is one occurrence (RFC 5545
    §3.8.5.3: duplicate instances are ignored);
  * a UTC UNTIL bounds instants (dateutil compares an aware DTSTART's occurrences with it in UTC);
  * a date-only UNTIL includes its whole local day, a floating UNTIL bounds local wall-clock time;
  * a local time that does not exist (DST gap) or exists twice resolves with fold=0, i.e. it is
    read with the offset in force before the transition, which is Temporal's "compatible".
"""

import json
import sys
from datetime import datetime, time, timezone
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr


def parts(rule):
    return dict(part.split("=", 1) for part in rule.upper().split(";"))


def expand(case):
    zone = ZoneInfo(case["timeZone"])
    instant = datetime.strptime(case["start"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    wall = instant.astimezone(zone).replace(tzinfo=None)
    rule = case["rule"].upper()
    until = parts(rule).get("UNTIL")
    count = int(parts(rule)["COUNT"]) if "COUNT" in parts(rule) else None
    # COUNT is applied below, to the distinct instants.
    rule = ";".join(part for part in rule.split(";") if not part.startswith("COUNT="))

    if until is not None and until.endswith("Z"):
        # Aware DTSTART: dateutil computes in wall-clock fields and compares UNTIL in UTC.
        recurrence = rrulestr(rule, dtstart=wall.replace(tzinfo=zone))
    else:
        recurrence = rrulestr(rule, dtstart=wall)
        if until is not None and "T" not in until:
            day = datetime.strptime(until, "%Y%m%d").date()
            recurrence = recurrence.replace(until=datetime.combine(day, time(23, 59, 59)))

    def series():
        last = None
        for occurrence in recurrence:
            aware = occurrence if occurrence.tzinfo is not None else occurrence.replace(tzinfo=zone, fold=0)
            at = aware.astimezone(timezone.utc)
            if at < instant or (last is not None and at <= last):
                continue  # before the start (a repeated wall-clock time), or an instant seen already
            last = at
            yield at

    limit = case["count"] if count is None else min(case["count"], count)
    return [o.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") for o in islice(series(), limit)]


def main():
    cases = json.load(sys.stdin)
    json.dump([expand(case) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
