"""The inventory's vocabulary: the values each enumerated field may take (the API's enums),
and the bounds of ids."""

# Ids assigned by the service are whole numbers from 1 to this (within a signed 64-bit
# column on both databases).
MAX_ID = 2**62

JURISDICTIONS = ("federal", "state", "county", "municipal", "tribal", "other")
INCIDENT_KINDS = (
    "shooting",
    "use_of_force",
    "arrest",
    "search_warrant",
    "pursuit",
    "crowd_control",
    "other",
)
INCIDENT_STATUSES = ("open", "under_investigation", "closed")
INVOLVEMENT_ROLES = ("discharged_weapon", "primary", "assisting", "supervisor", "witness")
SOURCE_KINDS = (
    "bodycam",
    "dashcam",
    "officer_phone",
    "bystander",
    "surveillance",
    "media",
    "other",
)
OBTAINED_VIA = (
    "agency_upload",
    "officer_submission",
    "public_submission",
    "subpoena",
    "social_media",
    "news_media",
    "other",
)
CUSTODY_STATUSES = (
    "identified",
    "requested",
    "in_custody",
    "checked_out",
    "released",
    "disposed",
)
REVIEW_STATUSES = ("unreviewed", "in_review", "reviewed", "flagged", "excluded")
INTEGRITY_STATES = ("unverified", "verified", "mismatch")
CUSTODY_ACTIONS = (
    "identified",
    "requested",
    "received",
    "transferred",
    "checked_out",
    "returned",
    "copied",
    "verified",
    "released",
    "disposed",
)
REVIEW_FLAGS = (
    "late_activation",
    "early_deactivation",
    "muted",
    "obstructed",
    "late_upload",
    "other",
)
ROLES = ("admin", "investigator", "oversight", "importer")

# The coverage questions' parameters.
LACKING = ("bodycam", "any", "officer_bodycam")
COUNTING = ("any", "in_custody")
GROUP_BY = ("agency", "state", "month", "kind")
# Reports: formats, and the CSV tables.
REPORT_FORMATS = ("csv", "json", "html")
REPORT_TABLES = ("incidents", "summary", "disclosure", "officers")
# Bulk import: what can be imported, and the file formats read.
IMPORT_KINDS = ("agencies", "officers", "incidents", "involvements", "sources", "custody")
IMPORT_FORMATS = ("csv", "ndjson", "json")

# Governance: incident classification, disposal, disclosure.
INCIDENT_TAGS = ("firearm_discharge", "deadly_force", "great_bodily_harm", "complaint")
DISPOSAL_STATUSES = ("pending", "approved", "rejected")
REQUESTER_KINDS = ("public", "next_of_kin", "subject", "court", "defense", "media", "agency")
DISCLOSURE_KINDS = ("released", "released_redacted", "withheld", "delayed")
COUNTED_FROM = ("incident", "request")
DISCLOSURE_STATUSES = ("overdue", "due", "met", "late", "no_rule")
