"""GET /v1/audit/{patients|users|organisations}/{subject}?summary=true,
checked by worklist_audit_checks.py against the running service: the
summary's every figure equals the count over all the trail's entries, read
page by page over the API (newest first, from the summary's own page, so the
later pages' own records, newer, are not in it); the query with the summary
is one recorded AuditQuery; without summary= (or with summary=false) the
answer is as before, with no summary; a bad summary= value is a 400 that
appends nothing."""
import collections
import datetime
import json
import zoneinfo

from cli_checks import check

LONDON = zoneinfo.ZoneInfo("Europe/London")


def when(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def counted(entries):
    """The summary as the workbench used to count it in the browser."""
    kinds = collections.Counter(e.get("kind") for e in entries)
    heat = [[0] * 24 for _ in range(7)]
    looked = collections.defaultdict(lambda: [0, 0])
    users = {}
    for entry in sorted(entries, key=lambda e: when(e["at"])):  # oldest first
        local = when(entry["at"]).astimezone(LONDON)
        heat[local.weekday()][local.hour] += 1
        actor = entry.get("actor", {})
        role = actor.get("role", "ROLE_UNSPECIFIED")
        read = entry.get("kind") == "AUDIT_KIND_READ"
        refused = entry.get("outcome") == "ACCESS_OUTCOME_DENIED"
        if read or refused:
            row = looked[(actor.get("organisation", ""), actor.get("user_id", ""), role,
                          entry.get("actor_name", ""))]
            row[0] += read
            row[1] += refused
        user = users.setdefault(actor.get("user_id", ""), {"reads": 0, "refusals": 0,
                                                           "patients": set()})
        user["role"] = role  # the newest entry's
        user["reads"] += read
        user["refusals"] += refused
        if entry.get("nhs_number"):
            user["patients"].add(entry["nhs_number"])
    times = sorted(entries, key=lambda e: when(e["at"]))
    return {
        "entries": len(entries),
        "reads": kinds["AUDIT_KIND_READ"],
        "refusals": kinds["AUDIT_KIND_REFUSED"],
        "changes": kinds["AUDIT_KIND_CHANGE"],
        "audit_queries": kinds["AUDIT_KIND_AUDIT_QUERY"],
        "break_glass": sum(1 for e in entries if e.get("break_glass")),
        "patients": len({e["nhs_number"] for e in entries if e.get("nhs_number")}),
        "first_at": times[0]["at"] if times else "",
        "last_at": times[-1]["at"] if times else "",
        "time_zone": "Europe/London",
        "by_weekday_hour": heat,
        "who_looked": sorted(
            [{"organisation": k[0], "user_id": k[1], "role": k[2], "actor_name": k[3],
              "reads": v[0], "refusals": v[1]} for k, v in looked.items()],
            key=lambda r: (r["organisation"], r["user_id"], r["role"], r["actor_name"])),
        "busiest": sorted(
            [{"user_id": u, "role": row["role"], "reads": row["reads"],
              "refusals": row["refusals"], "patients": len(row["patients"])}
             for u, row in users.items()], key=lambda r: (-r["reads"], r["user_id"])),
    }


def run(get, recorded, path_of, purpose, nhs):
    """`get(path)` answers (status, headers, body, records appended);
    `recorded(access)` is the access record an answer's `access` names."""
    for scope, subject in (("patients", nhs), ("users", "crew.lee"),
                           ("organisations", "AMB001")):
        trail = f"/v1/audit/{scope}/{subject}"
        status, _, body, appended = get(path_of(trail, purpose=purpose, order="newest", limit=3,
                                                summary="true"))
        answer = json.loads(body) if status == 200 else {}
        own = recorded(answer.get("access", {})).get("access_recorded", {})
        summary = answer.get("summary", {})
        entries = list(answer.get("entries", []))
        token = answer.get("next_page_token", "")
        pages = 1
        while token and pages < 200:
            status2, _, body2, _ = get(path_of(trail, purpose=purpose, order="newest", limit=3,
                                               page=token))
            if status2 != 200:
                break
            page = json.loads(body2)
            entries += page.get("entries", [])
            token = page.get("next_page_token", "")
            pages += 1
        expected = counted(entries)
        differ = sorted(k for k in expected if summary.get(k) != expected[k])
        check(status == 200 and appended == 1 and own.get("action", "").startswith("audit_")
              and own.get("outcome") == "ACCESS_OUTCOME_GRANTED" and len(answer["entries"]) <= 3
              and pages > 1 and not token and not differ,
              f"GET {trail}?summary=true: one recorded query, its summary every entry of the "
              f"trail counted ({len(entries)} entries over {pages} pages; differing: {differ})")

    trail = f"/v1/audit/patients/{nhs}"
    for flag in (None, "false"):
        status, _, body, appended = get(path_of(trail, purpose=purpose, summary=flag))
        answer = json.loads(body) if status == 200 else {}
        check(status == 200 and appended == 1
              and set(answer) == {"scope", "subject", "entries", "next_page_token", "access"},
              f"GET {trail} with summary={flag}: the answer as before, no summary ({status}, "
              f"{sorted(answer)})")
    for flag in ("yes", "TRUE", "1"):
        status, headers, body, appended = get(path_of(trail, purpose=purpose, summary=flag))
        detail = json.loads(body).get("detail", "") if status == 400 else ""
        check(status == 400 and "summary" in detail and appended == 0
              and headers.get("content-type", "").startswith("application/problem+json"),
              f"GET {trail}?summary={flag}: 400, nothing appended ({status} {detail!r}, "
              f"{appended})")
