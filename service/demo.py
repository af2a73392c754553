"""The demo scenario of shared/seed-story.md.

Built from facts reported in January 2026; every name, badge, device, time and
file below is invented for the demo and marked so in the records' notes. No real
person is named.
"""

import random
from datetime import datetime, timedelta

from service.domain import (
    custody,
    defaults,
    disclosure,
    disposal,
    holds,
    inventory,
    moments,
    reviews,
)
from service.domain.errors import Conflict
from service.storage.db import database
from service.storage.models import Incident, Source

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
        self.counts = {
            "agencies": 0,
            "officers": 0,
            "incidents": 0,
            "sources": 0,
            "custody events": 0,
            "reviews": 0,
            "legal holds": 0,
            "disclosure requests": 0,
            "disclosure decisions": 0,
            "moments": 0,
        }
        self.badges = {}

    def officer(self, agency, camera_issued=True, label=None):
        n = self.badges.get(agency, 0) + 1
        self.badges[agency] = n
        self.counts["officers"] += 1
        return inventory.create_officer(
            {
                "agency": agency,
                "badge_number": f"{agency}-{1000 + n}",
                "name": label or f"{agency} officer {n:02d} (invented)",
                "camera_issued": camera_issued,
                "external_id": f"demo-officer-{agency}-{n}",
            }
        )

    def incident(self, **values):
        self.counts["incidents"] += 1
        return inventory.create_incident(values)

    def source(self, incident, kind, start=None, minutes=None, offset=0.0, **values):
        self.counts["sources"] += 1
        values.setdefault("notes", INVENTED)
        # Catalogued the day after the recording (or the incident), so backlog ages mean something.
        values.setdefault("created_at", (start or incident.started_at) + timedelta(days=1))
        end = start + timedelta(minutes=minutes) if start is not None and minutes else None
        return inventory.create_source(
            {
                "kind": kind,
                "recording_started_at": start,
                "recording_ended_at": end,
                "duration_seconds": minutes * 60 if minutes else None,
                "clock_offset_seconds": offset,
                "sha256": _sha(self.rng),
                "size_bytes": self.rng.randint(50, 4000) * 1_000_000,
                "storage_uri": f"evidence://demo/{incident.id}/{self.counts['sources']:04d}.mp4",
                **values,
            },
            incident_id=incident.id,
        )


def _pretti(b):
    start = _local(2026, 1, 24, 9, 2)
    incident = b.incident(
        external_id="demo-pretti",
        case_number="DEMO-2026-0124",
        title="Pretti shooting",
        kind="shooting",
        started_at=start,
        ended_at=start + timedelta(minutes=38),
        location={
            "address": "26th St & Nicollet Ave",
            "city": "Minneapolis",
            "state": "MN",
            "latitude": 44.9551,
            "longitude": -93.2779,
        },
        agencies=["USBP", "CBP", "HSI", "ICE"],
        tags=["firearm_discharge", "deadly_force"],
        status="under_investigation",
        description="Federal immigration operation; two agents fired. HSI leads the review with "
        "FBI support; DOJ civil rights investigation. Times, officers and files: " + INVENTED,
    )
    roster = (["USBP"] * 14) + (["CBP"] * 10) + (["HSI"] * 3) + (["ICE"] * 3)
    missing = {
        5: "Camera battery depleted before the encounter (invented).",
        17: None,
        26: "Camera not docked; upload pending inquiry (invented).",
    }
    for i, agency in enumerate(roster):
        officer = b.officer(agency, camera_issued=agency in ("USBP", "CBP", "ICE") or i == 24)
        role = (
            "discharged_weapon"
            if i in (0, 14)
            else "supervisor"
            if i in (1, 15)
            else ("primary" if i < 4 else "assisting")
        )
        inventory.involve_officer(
            incident,
            {
                "officer_id": officer.id,
                "role": role,
                "not_recorded_reason": missing.get(i),
            },
        )
        if officer.camera_issued and i not in missing:
            # Cameras switched on as agents arrived; some device clocks run off true time.
            on = start + timedelta(minutes=b.rng.randint(-3, 8), seconds=b.rng.randint(0, 59))
            offset = b.rng.choice([0, 0, 0, -42.0, 17.5, 95.0])
            b.source(
                incident,
                "bodycam",
                on,
                b.rng.randint(6, 30),
                offset,
                officer_id=officer.id,
                device_id=f"AXN-{officer.badge_number}",
                obtained_via="agency_upload",
                external_id=f"demo-pretti-bwc-{i:02d}",
            )
    # What each clip shows, in words investigators search for (q=).
    scenes = {
        1: "Agents approach on foot; a red pickup is parked at the corner. ",
        2: "Filmed from across Nicollet Ave: the shots fired, the red pickup in view. ",
        3: "Crowd gathering after the shots; sirens. ",
        4: "Aftermath; agents tape off the intersection near the café. ",
    }
    for n, (at, minutes) in enumerate([(1, 4), (3, 7), (6, 2), (12, 5)], start=1):
        b.source(
            incident,
            "bystander",
            start + timedelta(minutes=at),
            minutes,
            recorded_by=f"Bystander {n} (invented)",
            obtained_via="public_submission",
            external_id=f"demo-pretti-bystander-{n}",
            notes=scenes[n] + INVENTED,
        )
    # The moments policy reviews turn on (invented times): were the cameras on then?
    for label, after, notes in (
        ("first contact", timedelta(seconds=30), "Agents first speak to the driver."),
        ("shots fired", timedelta(minutes=4, seconds=10), "Two agents fire."),
    ):
        moments.add_moment(
            incident, {"label": label, "at": start + after, "notes": notes + " " + INVENTED}
        )
        b.counts["moments"] += 1
    b.source(
        incident,
        "surveillance",
        None,
        None,
        sha256=None,
        size_bytes=None,
        recorded_by="Storefront camera, Nicollet Ave (invented)",
        obtained_via="subpoena",
        external_id="demo-pretti-cctv-1",
        notes="Requested by investigators; not yet received. " + INVENTED,
    )
    b.source(
        incident,
        "media",
        start + timedelta(minutes=20),
        15,
        recorded_by="Local TV crew",
        obtained_via="news_media",
        external_id="demo-pretti-media-1",
    )
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
        tags=["firearm_discharge", "deadly_force"],
        status="under_investigation",
        description="Shooting by an ICE officer. Unclear whether a body camera recorded it; "
        "the officer recorded on his own phone. Date, times and files: " + INVENTED,
    )
    officer = b.officer("ICE", camera_issued=True)
    inventory.involve_officer(
        incident,
        {
            "officer_id": officer.id,
            "role": "discharged_weapon",
            "not_recorded_reason": (
                "Unclear whether a body camera was worn or recording (invented)."
            ),
        },
    )
    b.source(
        incident,
        "officer_phone",
        start - timedelta(minutes=1),
        3,
        officer_id=officer.id,
        recorded_by="The officer's own phone",
        obtained_via="officer_submission",
        external_id="demo-good-phone-1",
    )
    for n, (at, minutes) in enumerate([(0, 2), (1, 3), (9, 6)], start=1):
        b.source(
            incident,
            "bystander",
            start + timedelta(minutes=at),
            minutes,
            recorded_by=f"Bystander {n} (invented)",
            obtained_via="social_media",
            external_id=f"demo-good-bystander-{n}",
        )
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
            kind=kind,
            started_at=start,
            ended_at=start + timedelta(minutes=b.rng.randint(10, 60)),
            location={"city": city, "state": state},
            agencies=agencies,
            status=b.rng.choice(["open", "under_investigation", "closed"]),
            description=INVENTED,
        )
        has_cameras = b.rng.random() < 0.55
        for k in range(b.rng.randint(1, 4)):
            officer = b.officer(agencies[k % len(agencies)], camera_issued=has_cameras)
            inventory.involve_officer(
                incident, {"officer_id": officer.id, "role": "primary" if k == 0 else "assisting"}
            )
            if has_cameras and b.rng.random() < 0.75:
                b.source(
                    incident,
                    "bodycam",
                    start + timedelta(minutes=b.rng.randint(0, 5)),
                    b.rng.randint(5, 40),
                    officer_id=officer.id,
                    obtained_via="agency_upload",
                )
        if b.rng.random() < 0.5:
            b.source(
                incident,
                b.rng.choice(["bystander", "dashcam", "surveillance"]),
                start + timedelta(minutes=b.rng.randint(0, 10)),
                b.rng.randint(1, 15),
                obtained_via=b.rng.choice(["public_submission", "agency_upload", "subpoena"]),
            )


# ---------------------------------------------------------------- custody, reviews, holds
# Recorded through the same domain functions as the API uses, after the catalogue is built
# and with their own random stream, so the catalogue above stays what it was.

ACTOR = "demo"
EVIDENCE_ROOM = "HSI Minneapolis evidence room (invented)"


class _Custody:
    def __init__(self, b, seed=2027):
        self.b = b
        self.rng = random.Random(seed)

    def event(self, source, action, at, **values):
        self.b.counts["custody events"] += 1
        return custody.append_event(
            source.id, {"action": action, "occurred_at": at, **values}, ACTOR
        )

    def identify_and_request(self, source, identified, requested, custodian):
        """Identified, then requested from `custodian`: each an (at, note) pair."""
        self.event(source, "identified", identified[0], note=identified[1])
        self.event(source, "requested", requested[0], custodian=custodian, note=requested[1])

    def receive(self, source, at, observed=None, checked=True, **values):
        """Received; the file's hash is checked on arrival unless `checked` is false."""
        return self.event(
            source,
            "received",
            at,
            custodian=EVIDENCE_ROOM,
            location=values.pop("location", EVIDENCE_ROOM),
            sha256_observed=(observed or source.sha256) if checked else None,
            **values,
        )

    def review(self, source, status, reviewer, flags=(), notes=None):
        self.b.counts["reviews"] += 1
        return reviews.add_review(
            source.id,
            {"status": status, "reviewer": reviewer, "flags": list(flags), "notes": notes},
            ACTOR,
        )

    def hold(self, **values):
        self.b.counts["legal holds"] += 1
        return holds.place_hold(values, ACTOR)


def _sources(external_prefix):
    return list(
        Source.select().where(Source.external_id.startswith(external_prefix)).order_by(Source.id)
    )


def _pretti_custody(c):
    incident = Incident.get(Incident.external_id == "demo-pretti")
    day = incident.started_at
    c.hold(
        name="Preservation order: Pretti shooting (invented)",
        incident_id=incident.id,
        authority="U.S. Department of Justice, Civil Rights Division (invented order)",
        reason="Civil rights investigation; preserve all recordings of the incident.",
    )
    reviewers = ["HSI analyst 1 (invented)", "HSI analyst 2 (invented)", "FBI agent (invented)"]
    for source in _sources("demo-pretti-bwc-"):
        n = int(source.external_id.rsplit("-", 1)[1])  # the agent's place in _pretti's roster
        arrived = day + timedelta(hours=6, minutes=7 * n)
        if n in (9, 21):  # the agency's upload never came
            c.identify_and_request(
                source,
                (
                    day + timedelta(hours=3),
                    "Camera assigned to an involved agent; no upload found (invented).",
                ),
                (day + timedelta(days=2), "Formal request for the camera's footage (invented)."),
                custodian="USBP records unit",
            )
            continue
        if n == 4:
            c.receive(
                source,
                arrived,
                observed=_sha(c.rng),
                note="Hash of the agency export differs from the catalogued file; "
                "re-export requested (invented).",
            )
        else:
            c.receive(source, arrived, note="Agency upload (invented).")
        if n % 5 == 1:
            c.event(
                source,
                "transferred",
                arrived + timedelta(days=3),
                custodian="FBI laboratory (invented)",
                location="FBI laboratory (invented)",
            )
            c.event(
                source,
                "verified",
                arrived + timedelta(days=4),
                sha256_observed=source.sha256,
                custodian="FBI laboratory (invented)",
            )
        elif n % 5 == 2:
            c.event(
                source,
                "checked_out",
                arrived + timedelta(days=2),
                custodian=reviewers[n % 3],
                note="For frame-by-frame review (invented).",
            )
            if n % 10 == 2:
                c.event(source, "returned", arrived + timedelta(days=5), custodian=EVIDENCE_ROOM)
        elif n % 5 == 3:
            c.event(
                source,
                "copied",
                arrived + timedelta(days=1),
                note="Working copy made for reviewers (invented).",
            )
        # Agents 0 and 14 fired (see _pretti).
        if n == 0:
            c.review(
                source,
                "flagged",
                reviewers[0],
                ["late_activation"],
                "Camera switched on after the first shots (invented finding).",
            )
        elif n == 14:
            c.review(source, "in_review", reviewers[1])
            c.review(
                source,
                "flagged",
                reviewers[1],
                ["obstructed", "muted"],
                "View blocked by another agent; audio muted (invented finding).",
            )
        elif n % 4 == 0:
            c.review(source, "reviewed", reviewers[n % 3])
        elif n % 4 == 1:
            c.review(source, "in_review", reviewers[n % 3])
    for n, source in enumerate(_sources("demo-pretti-bystander-"), start=1):
        at = day + timedelta(days=n)
        c.receive(source, at, checked=n % 2 == 0, location="Public tip line upload (invented)")
        if n == 2:
            c.review(source, "reviewed", reviewers[0])
        elif n == 4:
            c.review(
                source,
                "excluded",
                reviewers[2],
                notes="Re-upload of bystander clip 1 with a filter applied (invented).",
            )
    (cctv,) = _sources("demo-pretti-cctv-")
    c.identify_and_request(
        cctv,
        (day + timedelta(days=1), "Storefront camera faces the intersection (invented)."),
        (day + timedelta(days=3), "Subpoena served; footage not yet produced (invented)."),
        custodian="Store owner (invented)",
    )
    (media,) = _sources("demo-pretti-media-")
    c.receive(media, day + timedelta(days=1), checked=False, location="Station newsroom")
    c.event(media, "copied", day + timedelta(days=1, hours=2))
    c.review(media, "reviewed", reviewers[1])


def _good_custody(c):
    incident = Incident.get(Incident.external_id == "demo-good")
    (phone,) = _sources("demo-good-phone-")
    c.receive(
        phone,
        incident.started_at + timedelta(days=1),
        note="Submitted by the officer through counsel (invented).",
    )
    c.review(phone, "in_review", "HSI analyst 1 (invented)")
    bystanders = _sources("demo-good-bystander-")
    for n, source in enumerate(bystanders, start=1):
        c.receive(
            source,
            incident.started_at + timedelta(days=n),
            checked=False,
            location="Downloaded from a social media post (invented)",
        )
    c.review(bystanders[0], "reviewed", "HSI analyst 2 (invented)")
    c.hold(
        name="Litigation hold: Good shooting recordings (invented)",
        source_ids=[phone.id, *[s.id for s in bystanders]],
        authority="Hennepin County Attorney (invented)",
        reason="Anticipated civil litigation.",
    )


def _older_custody(c):
    """Older cases: mostly received and reviewed; closed cases carry retention dates,
    some already disposed, some now due for disposal."""
    incidents = Incident.select().where(Incident.external_id.startswith("demo-older-"))
    for incident in incidents.order_by(Incident.id):
        for source in Source.select().where(Source.incident == incident).order_by(Source.id):
            roll = c.rng.random()
            if roll < 0.1:
                c.event(
                    source,
                    "requested",
                    incident.started_at + timedelta(days=1),
                    custodian="Agency records unit (invented)",
                )
                continue
            received = incident.started_at + timedelta(days=c.rng.randint(1, 10))
            c.receive(source, received)
            if c.rng.random() < 0.7:
                c.review(source, "reviewed", "Oversight analyst (invented)")
            if incident.status == "closed":
                retain = incident.started_at + timedelta(days=c.rng.choice([180, 240, 400]))
                inventory.update_source(source, {"retain_until": retain.date()})
                if roll > 0.8 and retain < datetime(2026, 1, 1):
                    _dispose(c, source)


def _dispose(c, source):
    """Two people: a records clerk asks, an administrator approves (the rules decide whether
    the footage may go yet)."""
    try:
        request = disposal.request_disposal(
            source.id,
            {"reason": "Retention period over; file destroyed (invented)."},
            "demo-records-clerk",
        )
        disposal.approve(request.id, ACTOR, occurred_at=datetime(2026, 1, 15, 15, 0))
    except Conflict:
        return
    c.b.counts["custody events"] += 1


# Municipal Minnesota incidents where Minn. Stat. § 13.825 applies: (external id, title,
# start, public release (kind, at) or None, next-of-kin request received, answered at).
MPD_DEATHS = [
    (
        "demo-mpd-overdue",
        "Death in custody, Lake Street (invented)",
        _local(2026, 3, 2, 22, 40),
        None,
        (_local(2026, 3, 5, 10, 0), None),
    ),
    (
        "demo-mpd-on-time",
        "Police shooting, Cedar Avenue (invented)",
        _local(2026, 4, 10, 1, 15),
        ("released", _local(2026, 4, 20, 14, 0)),
        (_local(2026, 4, 12, 9, 30), _local(2026, 4, 15, 11, 0)),
    ),
    (
        "demo-mpd-late",
        "Police shooting, Broadway Avenue (invented)",
        _local(2026, 5, 15, 18, 5),
        ("released_redacted", _local(2026, 6, 12, 16, 0)),
        None,
    ),
]


def _mpd_deaths(b):
    """Minneapolis police incidents with a death: release deadlines met, late and overdue."""
    for external_id, title, start, release, kin in MPD_DEATHS:
        incident = b.incident(
            external_id=external_id,
            title=title,
            kind="shooting",
            started_at=start,
            ended_at=start + timedelta(minutes=25),
            location={"city": "Minneapolis", "state": "MN"},
            agencies=["MPD"],
            tags=["firearm_discharge", "deadly_force"],
            status="under_investigation",
            description=INVENTED,
        )
        officer = b.officer("MPD", camera_issued=True)
        inventory.involve_officer(incident, {"officer_id": officer.id, "role": "discharged_weapon"})
        b.source(
            incident, "bodycam", start, 30, officer_id=officer.id, obtained_via="agency_upload"
        )
        if kin is not None:
            request = disclosure.create_request(
                incident.id,
                {
                    "requester_kind": "next_of_kin",
                    "requester": "The family's attorney (invented)",
                    "received_at": kin[0],
                },
                ACTOR,
            )
            b.counts["disclosure requests"] += 1
            if kin[1] is not None:
                disclosure.record_decision(
                    incident.id,
                    {
                        "kind": "released",
                        "decided_at": kin[1],
                        "basis": "Inspection by the next of kin (invented).",
                        "request_id": request.id,
                    },
                    ACTOR,
                )
                b.counts["disclosure decisions"] += 1
        if release is not None:
            disclosure.record_decision(
                incident.id,
                {
                    "kind": release[0],
                    "decided_at": release[1],
                    "basis": "Public release under Minn. Stat. § 13.825 subd. 2 (invented).",
                },
                ACTOR,
            )
            b.counts["disclosure decisions"] += 1


def load_demo():
    """Load the whole scenario in one transaction; returns what was created."""
    b = _Builder()
    with database.atomic():
        for code, name, jurisdiction in AGENCIES:
            inventory.create_agency({"code": code, "name": name, "jurisdiction": jurisdiction})
            b.counts["agencies"] += 1
        added = defaults.load_defaults()
        b.counts["governance rules"] = sum(added)
        _pretti(b)
        _good(b)
        _older(b)
        c = _Custody(b)
        _pretti_custody(c)
        _good_custody(c)
        _older_custody(c)
        _mpd_deaths(b)
    return b.counts
