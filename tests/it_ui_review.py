"""Browser test of the console's "Incidenten" page (ui/www/page-review.js) for
handhaving, with the real daemon and a simulated camera: this script seeds
incidents over the websocket as an operator (several categories and weeks,
one with a distinctive word, some in an area the handhaver is not authorised
for, one amended and handed to the police), then tests/browser/review.test.mjs
logs in as handhaving and checks the table shows only its area, filters by
category and full text, sees bars in both charts, downloads the CSV (header,
row count, formula escaping) and opens a detail with its history; at
1366x768 too; then as the operator it amends an incident from the detail
panel and follows "Terugkijken". Afterwards this script checks the audit log
holds the handhaver's queries, export and reads.

Skips (exit 77) when chromium, node or tests/browser/node_modules is missing."""
import asyncio
import json
import os
import subprocess
import sys
import time

import uktest as u
from it_console import Client, password

DAY = 86400
WORD = "flamingopak"  # the distinctive word of one incident
# (camera, category, severity, description); positions are spread over ~25 days.
SEED = [
    ("station-1", "overlast", "medium", "Groep jongeren bij de fietsenstalling, luidruchtig"),
    ("station-1", "overlast", "low", "Muziek uit een auto op het stationsplein"),
    ("station-2", "overlast", "medium", "Ruzie bij de kiosk"),
    ("station-1", "overlast", "high", "Vuurwerk afgestoken bij de ingang"),
    ("station-2", "overlast", "low", "Zwerfafval rond de bankjes"),
    ("station-1", "drugshandel op straat", "high", "Overdracht bij de tunnel"),
    ("station-1", "drugshandel op straat", "medium", "Dealer op de fiets, café-terras"),
    ("station-2", "drugshandel op straat", "medium", "Twee mannen wisselen pakketjes"),
    ("station-1", "drugshandel op straat", "high", "Herhaalde overdracht bij de tunnel"),
    ("station-1", "straatintimidatie", "medium", "Nafluiten bij het station"),
    ("station-2", "straatintimidatie", "low", "Vrouw nagelopen naar de bus"),
    ("station-1", "straatintimidatie", "medium", "=SOM(A1) staat op een bord"),
    ("station-1", "vernieling", "medium", "Fietsenrek omvergetrokken"),
    ("station-2", "vernieling", "high", f"Man in {WORD} trapt tegen de abri"),
    ("station-1", "geweld", "high", "Vechtpartij tussen twee mannen"),
    ("centrum-1", "overlast", "medium", "Terras te laat open"),
    ("centrum-1", "vernieling", "high", "Ruit van de bakker ingegooid"),
    ("centrum-1", "geweld", "high", f"Tweede man in {WORD}, klap uitgedeeld"),
    ("centrum-1", "medisch", "medium", "Onwel geworden persoon op de Markt"),
    ("centrum-1", "diefstal/inbraak", "low", "Fiets gestolen bij de bibliotheek"),
]


def iso(t):
    return u.rfc3339(t * 1e6)


class ReviewUiTests(u.DaemonTests):
    def __init__(self):
        super().__init__("ui-review")

    def setup(self):
        self.cam_port, dead, self.port = u.free_port(), u.free_port(), u.free_port()
        self.cam = self.start(u.start_testcam(self.dir, self.cam_port, cameras=1))
        self.config = u.write_config(self.dir, [
            ("station-1", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1"),
            ("station-2", "station", f"rtsp://127.0.0.1:{dead}/x"),
            ("centrum-1", "centrum", f"rtsp://127.0.0.1:{dead}/y"),
        ], segment_seconds=4, listen_port=self.port)
        self.db = os.path.join(self.dir, "data", "uitkijk.db")
        u.add_users(self.config, [("op", "operator", "station,centrum"), ("hh", "handhaving", "station")])
        self.serve = self.start(u.start_serve(self.dir, self.config))
        u.wait_until("the console", lambda: u.port_open(self.port) or not self.serve.alive(), 30)
        assert self.serve.alive(), self.serve.tail()

    def seed(self):
        """Logs SEED as the operator; returns what the browser should see."""
        async def t():
            op = await Client.open(self.port)
            r = await op.login("op")
            assert r["type"] == "result", r
            now = time.time()
            made = []
            station = centrum = 0
            for k, (cam, cat, sev, text) in enumerate(SEED):
                # Spread over the last 26 days (4 or 5 ISO weeks), newest first.
                if cam.startswith("station"):
                    pos = now - 120 - station * 1.8 * DAY
                    station += 1
                else:
                    pos = now - 600 - centrum * 5 * DAY
                    centrum += 1
                r = await op.req("incident.create", camera=cam, position=iso(pos), source="playback",
                                 category=cat, severity=sev, description=text,
                                 actions=["boa ingezet"] if k % 3 == 0 else [])
                assert r["type"] == "result", r
                made.append(r["incident"])
            # One station incident with a history: an amendment and a status change.
            amended = made[5]["incident"]
            r = await op.req("incident.amend", incident=amended, field="note",
                             value="Politie heeft beelden opgevraagd")
            assert r["type"] == "result", r
            r = await op.req("incident.status", incident=amended, status="handed_to_police",
                             note="registratienummer 2026-123")
            assert r["type"] == "result", r
            await op.close()
            return made, amended
        made, amended = asyncio.get_event_loop().run_until_complete(t())
        station = [i for i in made if i["area"] == "station"]
        cats = {}
        for i in station:
            cats[i["category"]] = cats.get(i["category"], 0) + 1
        return {
            "station": len(station), "centrum": len(made) - len(station),
            "categories": cats, "category": "drugshandel op straat",
            "word": WORD, "wordIncident": next(i["incident"] for i in station if WORD in i["description"]),
            "amended": amended, "operatorIncident": station[0]["incident"],
        }

    def test_review_in_browser(self):
        data = self.seed()
        u.log("seeded:", json.dumps(data))
        shots = u.screenshot_dir("review")

        def on_command(line):
            assert line == "create-incident", line
            async def t():
                op = await Client.open(self.port)
                await op.login("op")
                r = await op.req("incident.create", camera="station-2", position=iso(time.time() - 30),
                                 source="live", category="verdacht gedrag", description="Persoon controleert fietssloten")
                await op.close()
                assert r["type"] == "result", r
                return r["incident"]["incident"]
            return f"ok {asyncio.get_event_loop().run_until_complete(t())}"

        rc, last = u.run_node("review.test.mjs", [
            f"http://127.0.0.1:{self.port}/", "--hh", "hh", "--hh-password", password("hh"),
            "--op", "op", "--op-password", password("op"), "--data", json.dumps(data),
            "--screenshots", shots], on_command=on_command, timeout=360)
        assert rc == 0 and last.endswith(" 0 failed"), f"review.test.mjs exited {rc}: {last}\n{self.serve.tail()}"
        # Whatever the handhaver looked at is in the audit log.
        time.sleep(0.3)
        rows = subprocess.run(["sqlite3", self.db, "SELECT action FROM audit WHERE actor = 'hh'"],
                              capture_output=True, text=True).stdout.split()
        for action in ("incidents_query", "incidents_stats", "incidents_export", "incident_read"):
            assert action in rows, (action, sorted(set(rows)))
        # The operator's amendment from the detail panel is stored.
        n = subprocess.run(["sqlite3", self.db, "SELECT count(*) FROM audit WHERE actor = 'op' "
                            "AND action = 'incident_amended'"], capture_output=True, text=True).stdout
        assert int(n) >= 2, n


if __name__ == "__main__":
    why = u.browser_missing()
    if why:
        u.log(f"SKIP: missing {why}")
        sys.exit(77)
    asyncio.set_event_loop(asyncio.new_event_loop())
    ReviewUiTests().run()
