"""The demo scenario of shared/seed-story.md.

Built from facts reported in January 2026; every name, badge, device, time and
file below is invented for the demo and marked so in the records' notes. No real
person is named.
"""

import random
from datetime import datetime, timedelta

from . import inventory
from .db import database

INVENTED = "Invented for the demo."
CST = timedelta(hours=-6)

AGENCIES = [
    ("CBP", "U.S. Customs and Border Protection", "federal"),
    ("USBP", "U.S. Border Patrol", "federal"),
    ("ICE", "U.S. Immigration and Customs Enforcement", "federal"),
    ("HSI", "Homeland Security Investigations", "federal"),
    ("FBI", "Federal Bureau of Investigation", "federal"),
    ("MPD", "Minneapolis Police Department", "municipal"),
]


def _local(year, month, day, hour, minute, second=0):
    """A Minneapolis wall-clock time (CST, UTC-6) as naive UTC."""
    return datetime(year, month, day, hour, minute, second) - CST


def _sha(rng):
    return f"{rng.getrandbits(256):064x}"


class _Builder:
    def __init__(self, seed=2026):
        self.rng = random.Random(seed)
        self.counts = {"agencies": 0, "officers": 0, "incidents": 0, "sources": 0}
        self.badges = {}

    def officer(self, agency, camera_issued=True, label=None):
        n = self.badges.get(agency, 0) + 1
        self.badges[agency] = n
        self.counts["officers"] += 1
        return inventory.create_officer({
            "agency": agency,
            "badge_number": f"{agency}-{1000 + n}",
            "name": label or f"{agency} officer {n:02d} (invented)",
            "camera_issued": camera_issued,
            "external_id": f"demo-officer-{agency}-{n}",
        })

    def incident(self, **values):
        self.counts["incidents"] += 1
        return inventory.create_incident(values)

    def source(self, incident, kind, start=None, minutes=None, offset=0.0, **values):
        self.counts["sources"] += 1
        values.setdefault("notes", INVENTED)
        end = start + timedelta(minutes=minutes) if start is not None and minutes else None
        return inventory.create_source({
            "kind": kind,
            "recording_started_at": start,
            "recording_ended_at": end,
            "duration_seconds": minutes * 60 if minutes else None,
            "clock_offset_seconds": offset,
            "sha256": _sha(self.rng),
            "size_bytes": self.rng.randint(50, 4000) * 1_000_000,
            "storage_uri": f"evidence://demo/{incident.id}/{self.counts['sources']:04d}.mp4",
            **values,
        }, incident_id=incident.id)


def _pretti(b):
    start = _local(2026, 1, 24, 9, 2)
    incident = b.incident(
        external_id="demo-pretti",
        case_number="DEMO-2026-0124",
        title="Pretti shooting",
        kind="shooting",
        started_at=start,
        ended_at=start + timedelta(minutes=38),
        location={"address": "26th St & Nicollet Ave", "city": "Minneapolis", "state": "MN",
                  "latitude": 44.9551, "longitude": -93.2779},
        agencies=["USBP", "CBP", "HSI", "ICE"],
        status="under_investigation",
        description="Federal immigration operation; two agents fired. HSI leads the review with "
        "FBI support; DOJ civil rights investigation. Times, officers and files: " + INVENTED,
    )
    roster = (["USBP"] * 14) + (["CBP"] * 10) + (["HSI"] * 3) + (["ICE"] * 3)
    missing = {5: "Camera battery depleted before the encounter (invented).",
               17: None,
               26: "Camera not docked; upload pending inquiry (invented)."}
    for i, agency in enumerate(roster):
        officer = b.officer(agency, camera_issued=agency in ("USBP", "CBP", "ICE") or i == 24)
        role = "discharged_weapon" if i in (0, 14) else "supervisor" if i in (1, 15) else (
            "primary" if i < 4 else "assisting")
        inventory.involve_officer(incident, {
            "officer_id": officer.id, "role": role,
            "not_recorded_reason": missing.get(i),
        })
        if officer.camera_issued and i not in missing:
            # Cameras switched on as agents arrived; some device clocks run off true time.
            on = start + timedelta(minutes=b.rng.randint(-3, 8), seconds=b.rng.randint(0, 59))
            offset = b.rng.choice([0, 0, 0, -42.0, 17.5, 95.0])
            b.source(incident, "bodycam", on, b.rng.randint(6, 30), offset,
                     officer_id=officer.id, device_id=f"AXN-{officer.badge_number}",
                     obtained_via="agency_upload", external_id=f"demo-pretti-bwc-{i:02d}")
    for n, (at, minutes) in enumerate([(1, 4), (3, 7), (6, 2), (12, 5)], start=1):
        b.source(incident, "bystander", start + timedelta(minutes=at), minutes,
                 recorded_by=f"Bystander {n} (invented)", obtained_via="public_submission",
                 external_id=f"demo-pretti-bystander-{n}")
    b.source(incident, "surveillance", None, None, sha256=None, size_bytes=None,
             recorded_by="Storefront camera, Nicollet Ave (invented)", obtained_via="subpoena",
             external_id="demo-pretti-cctv-1",
             notes="Requested by investigators; not yet received. " + INVENTED)
    b.source(incident, "media", start + timedelta(minutes=20), 15, recorded_by="Local TV crew",
             obtained_via="news_media", external_id="demo-pretti-media-1")
    return incident


def _good(b):
    start = _local(2026, 1, 7, 10, 25)
    incident = b.incident(
        external_id="demo-good",
        case_number="DEMO-2026-0107",
        title="Good shooting",
        kind="shooting",
        started_at=start,
        location={"city": "Minneapolis", "state": "MN"},
        agencies=["ICE"],
        status="under_investigation",
        description="Shooting by an ICE officer. Unclear whether a body camera recorded it; "
        "the officer recorded on his own phone. Date, times and files: " + INVENTED,
    )
    officer = b.officer("ICE", camera_issued=True)
    inventory.involve_officer(incident, {
        "officer_id": officer.id, "role": "discharged_weapon",
        "not_recorded_reason": "Unclear whether a body camera was worn or recording (invented).",
    })
    b.source(incident, "officer_phone", start - timedelta(minutes=1), 3, officer_id=officer.id,
             recorded_by="The officer's own phone", obtained_via="officer_submission",
             external_id="demo-good-phone-1")
    for n, (at, minutes) in enumerate([(0, 2), (1, 3), (9, 6)], start=1):
        b.source(incident, "bystander", start + timedelta(minutes=at), minutes,
                 recorded_by=f"Bystander {n} (invented)", obtained_via="social_media",
                 external_id=f"demo-good-bystander-{n}")
    return incident


OLDER = [
    # (state, city, agencies, kind)
    ("MN", "Minneapolis", ["MPD"], "use_of_force"),
    ("MN", "St. Paul", ["ICE"], "arrest"),
    ("IL", "Chicago", ["ICE", "CBP"], "arrest"),
    ("IL", "Chicago", ["USBP"], "crowd_control"),
    ("CA", "Los Angeles", ["ICE", "HSI"], "search_warrant"),
    ("CA", "Los Angeles", ["USBP"], "pursuit"),
    ("TX", "El Paso", ["USBP"], "pursuit"),
    ("TX", "Houston", ["ICE"], "arrest"),
    ("NC", "Charlotte", ["CBP"], "use_of_force"),
    ("OR", "Portland", ["ICE", "FBI"], "crowd_control"),
]


def _older(b, count=36):
    for n in range(count):
        state, city, agencies, kind = OLDER[n % len(OLDER)]
        start = datetime(2025, 6, 1) + timedelta(days=5 * n, hours=b.rng.randint(6, 20))
        incident = b.incident(
            external_id=f"demo-older-{n + 1:02d}",
            title=f"{kind.replace('_', ' ').capitalize()} in {city} (invented)",
            kind=kind, started_at=start,
            ended_at=start + timedelta(minutes=b.rng.randint(10, 60)),
            location={"city": city, "state": state},
            agencies=agencies,
            status=b.rng.choice(["open", "under_investigation", "closed"]),
            description=INVENTED,
        )
        has_cameras = b.rng.random() < 0.55
        for k in range(b.rng.randint(1, 4)):
            officer = b.officer(agencies[k % len(agencies)], camera_issued=has_cameras)
            inventory.involve_officer(incident, {"officer_id": officer.id,
                                                 "role": "primary" if k == 0 else "assisting"})
            if has_cameras and b.rng.random() < 0.75:
                b.source(incident, "bodycam", start + timedelta(minutes=b.rng.randint(0, 5)),
                         b.rng.randint(5, 40), officer_id=officer.id,
                         obtained_via="agency_upload")
        if b.rng.random() < 0.5:
            b.source(incident, b.rng.choice(["bystander", "dashcam", "surveillance"]),
                     start + timedelta(minutes=b.rng.randint(0, 10)), b.rng.randint(1, 15),
                     obtained_via=b.rng.choice(["public_submission", "agency_upload", "subpoena"]))


def load_demo():
    """Load the whole scenario in one transaction; returns what was created."""
    b = _Builder()
    with database.atomic():
        for code, name, jurisdiction in AGENCIES:
            inventory.create_agency({"code": code, "name": name, "jurisdiction": jurisdiction})
            b.counts["agencies"] += 1
        _pretti(b)
        _good(b)
        _older(b)
    return b.counts



