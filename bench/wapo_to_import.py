"""Turn The Washington Post's fatal police shootings data set into import files.

    python bench/wapo_to_import.py ../shared/data/wapo-fatal-police-shootings-2015-2020.csv \\
        --out var/wapo
    evidence import incidents var/wapo/incidents.csv
    evidence import sources var/wapo/sources.csv

Each row becomes an incident (`external_id` wapo-ID, so importing again changes
nothing), and a row whose `body_camera` is True also gets a bodycam source: news
reports said an officer wore a body camera that may have recorded part of the
incident; the footage itself is not in the data set, so the source stays
`identified`. The data set has dates without times or time zones: incidents start
at noon UTC, which is the right calendar day in every U.S. time zone. See
docs/import.md for where the data comes from and its license (CC BY-NC-SA 4.0).
"""

import argparse
import csv
import os
import sys

CREDIT = "Source: The Washington Post, fatal police shootings database (CC BY-NC-SA 4.0)."
INCIDENT_COLUMNS = [
    "external_id",
    "title",
    "kind",
    "started_at",
    "location_city",
    "location_state",
    "status",
    "description",
]
SOURCE_COLUMNS = ["external_id", "incident_external_id", "kind", "notes"]
DETAILS = [
    ("manner_of_death", "manner of death"),
    ("armed", "armed"),
    ("age", "age"),
    ("gender", "gender"),
    ("race", "race"),
    ("signs_of_mental_illness", "signs of mental illness"),
    ("threat_level", "threat level"),
    ("flee", "fleeing"),
]


def _clean(text):
    return " ".join((text or "").split())


def incident_row(row):
    name = _clean(row["name"])
    who = name if name and name.upper() != "TK TK" else "an unnamed person"
    details = "; ".join(
        f"{label}: {_clean(row[key])}" for key, label in DETAILS if _clean(row.get(key))
    )
    return {
        "external_id": f"wapo-{row['id']}",
        "title": f"Fatal police shooting of {who}",
        "kind": "shooting",
        # Dates only: noon UTC keeps the calendar day in every U.S. time zone.
        "started_at": f"{row['date']}T12:00:00Z",
        "location_city": _clean(row["city"]),
        "location_state": _clean(row["state"]),
        "status": "closed",
        "description": f"{details}. Date only, time of day unknown. {CREDIT}",
    }


def source_row(row):
    return {
        "external_id": f"wapo-{row['id']}-bodycam",
        "incident_external_id": f"wapo-{row['id']}",
        "kind": "bodycam",
        "notes": (
            "News reports said an officer wore a body camera that may have recorded "
            f"part of the incident; the footage is not held. {CREDIT}"
        ),
    }


def convert(source_path, out_dir):
    """Write incidents.csv and sources.csv; (incidents, sources) written."""
    os.makedirs(out_dir, exist_ok=True)
    counts = [0, 0]
    with (
        open(source_path, newline="", encoding="utf-8") as data,
        open(
            os.path.join(out_dir, "incidents.csv"), "w", newline="", encoding="utf-8"
        ) as incidents,
        open(os.path.join(out_dir, "sources.csv"), "w", newline="", encoding="utf-8") as sources,
    ):
        incident_out = csv.DictWriter(incidents, INCIDENT_COLUMNS)
        source_out = csv.DictWriter(sources, SOURCE_COLUMNS)
        incident_out.writeheader()
        source_out.writeheader()
        for row in csv.DictReader(data):
            incident_out.writerow(incident_row(row))
            counts[0] += 1
            if row["body_camera"].strip().lower() == "true":
                source_out.writerow(source_row(row))
                counts[1] += 1
    return tuple(counts)


def run(argv):
    parser = argparse.ArgumentParser(
        prog="wapo_to_import",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data", help="wapo-fatal-police-shootings-2015-2020.csv")
    parser.add_argument("--out", default="var/wapo", help="directory for the import files")
    args = parser.parse_args(argv)
    incidents, sources = convert(args.data, args.out)
    print(f"{incidents} incidents, {sources} bodycam sources written to {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
