"""Every label of the figures, the console summary and the dashboard, in English and
Bahasa Indonesia, with the number formats of each language.

``T[lang][key]`` is the table; :func:`tr` looks a key up (English if a key is missing in
Indonesian, so a gap shows as English, never as a crash). Number formats follow the
language: 26,469 / Rp13.7 billion / 0.08 in English, 26.469 / Rp13,7 miliar / 0,08 in
Bahasa Indonesia. Nothing here imports the model, plotting or dashboard code.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

LANGS = ("id", "en")

STAGES = {
    "en": {"applied": "Applications", "docs": "KK/KTP (Dukcapil)", "rt": "RT head",
           "lurah": "Lurah", "camat": "Camat", "dinsos": "Dinas Sosial",
           "dtks": "DTKS update", "dinkes": "Dinas Kesehatan", "tim": "Tim Koordinasi sitting",
           "quota": "Budget quota", "bpjs": "BPJS Kesehatan",
           "activation": "Card cut-off (BPJS)", "enrolled": "Card active"},
    "id": {"applied": "Pendaftaran", "docs": "KK/KTP (Dukcapil)", "rt": "Ketua RT",
           "lurah": "Lurah", "camat": "Camat", "dinsos": "Dinas Sosial",
           "dtks": "Pemutakhiran DTKS", "dinkes": "Dinas Kesehatan",
           "tim": "Sidang Tim Koordinasi", "quota": "Kuota anggaran", "bpjs": "BPJS Kesehatan",
           "activation": "Batas aktivasi (BPJS)", "enrolled": "Kartu aktif"},
}

BARRIERS = {
    "en": {"specialization": "Specialisation (silos)", "power": "Power (dominant agency)",
           "performance_management": "Performance management", "turf": "Turf (guarding staff)",
           "beliefs": "Diverging beliefs", "politics": "Politics (freezes)",
           "accountability": "Accountability (extra checks)"},
    "id": {"specialization": "Spesialisasi (ego sektoral)",
           "power": "Kekuasaan (instansi dominan)",
           "performance_management": "Manajemen kinerja", "turf": "Wilayah kerja (turf)",
           "beliefs": "Perbedaan keyakinan", "politics": "Politik (pembekuan)",
           "accountability": "Akuntabilitas (verifikasi tambahan)"},
}

RESULTS = {
    "en": {"approved": "passed", "handed_off": "handed on", "bounced": "bounced back",
           "verify": "extra verification", "rework": "sent back for documents",
           "dtks_wait": "waits for DTKS update", "rejected": "rejected",
           "abandoned": "gave up", "left": "household left", "enrolled": "card active",
           "open": "still here"},
    "id": {"approved": "lolos", "handed_off": "diteruskan", "bounced": "dikembalikan",
           "verify": "verifikasi tambahan", "rework": "diminta melengkapi berkas",
           "dtks_wait": "menunggu pemutakhiran DTKS", "rejected": "ditolak",
           "abandoned": "mundur", "left": "rumah tangga keluar", "enrolled": "kartu aktif",
           "open": "masih di sini"},
}

# The accounts of everyone ever eligible (sim.model.accounting.ACCOUNTS).
ACCOUNT_LABELS = {
    "en": {"active": "Active members", "never_applied": "Never applied",
           "in_pipeline": "Case in process", "waiting_slot": "Waiting for a slot",
           "abandoned": "Gave up", "rejected": "Rejected",
           "deactivated": "Deactivated, not back", "moved_to_pbi_jk": "Moved to central PBI-JK",
           "moved_away": "Moved away", "no_longer_eligible": "No longer eligible",
           "died": "Died"},
    "id": {"active": "Peserta aktif", "never_applied": "Belum pernah mendaftar",
           "in_pipeline": "Berkas sedang diproses", "waiting_slot": "Menunggu kuota",
           "abandoned": "Mundur", "rejected": "Ditolak",
           "deactivated": "Dinonaktifkan, belum kembali",
           "moved_to_pbi_jk": "Dialihkan ke PBI-JK pusat", "moved_away": "Pindah keluar kota",
           "no_longer_eligible": "Tidak lagi layak", "died": "Meninggal"},
}

# The causes of the gap that sim.runner.attribution removes one at a time.
CAUSE_LABELS = {
    "en": {"cap": "No quota", "front_door": "No front-door rationing", "churn": "No churn",
           "rejections": "No wrongful rejections", "abandonment": "No abandonment",
           "awareness": "Everyone aware at the start",
           "barriers": "No coordination barriers"},
    "id": {"cap": "Tanpa kuota", "front_door": "Tanpa penjatahan pintu depan",
           "churn": "Tanpa perputaran peserta", "rejections": "Tanpa penolakan keliru",
           "abandonment": "Tanpa pengunduran diri", "awareness": "Semua tahu sejak awal",
           "barriers": "Tanpa hambatan koordinasi"},
}

T: dict[str, dict[str, Any]] = {
    "en": {
        # common
        "uncalibrated": "uncalibrated", "reps": "replications", "rep": "replication",
        "seed": "seed", "date": "Date", "year": "Year", "manual": "Manual", "online": "Online",
        "pathway": "Pathway", "vs": "vs", "per_run": "per run",
        # coverage
        "coverage_title": "Active members reach {end} by {date}, against a target of {target}",
        "members": "Active members (people)", "sim_mean": "Simulated mean",
        "sim_band": "Range across replications", "target": "Target ({target})",
        "cap": "Budget quota (premium budget / premium)",
        "observed": "Observed: {obs} (March 2024)", "online_go_live": "Website goes live",
        # funnel
        "funnel_title": "Where applications were lost",
        "funnel_headline": "{pathway}: the largest loss is {where} ({n} {per})",
        "loss_here": "at {stage}", "loss_way": "on the way to {stage}",
        "arrived": "Arrived", "continued": "Went on", "in_process": "Still in process",
        "rejected": "Rejected", "gave_up_here": "Gave up here",
        "gave_up_way": "Gave up on the way", "cases_axis": "Cases (mean per replication)",
        "funnel_note": "'Gave up here' includes households that moved, died or rose out of "
                       "poverty while there. Referred institutional cases are not shown.",
        # days to card
        "days_title": "Days from application to card, by year of application",
        "days_axis": "Days to card\n(dot: median; bar: middle half)",
        "days_pending": "No outcome yet (%)",
        "days_note": "Counts only cases with a card by {end}. Applications of late years "
                     "are censored: their slow cases have no card yet (lower panel), so "
                     "their medians are too low. Same years compared across pathways.",
        "median": "median", "n_cases": "n",
        # whatif / compare
        "whatif_title": "Active members for each value of {param}",
        "whatif_headline": "{param} from {lo} to {hi}: {diff} active members on {date}",
        "whatif_band": "band: 10th to 90th percentile of {reps} replications, common "
                       "random numbers",
        "value": "value", "on": "on", "off": "off", "enrolled_end": "Active members at end",
        "ci95": "95% CI", "diff_first": "Difference from {first} (paired)",
        "days_median": "Median days to card", "abandoned_share": "Closed cases abandoned",
        "visits": "Visits per enrolled household", "cost": "Cost to the citizen",
        "cost_per": "Cost to the citizen per enrolled household",
        "budget": "Premium spending per year", "budget_line": "Budget",
        "budget_total": "Premium spending, whole run",
        "compare_title": "{a} compared with {b}",
        "compare_coverage_title": "Active members: scenarios under the same seeds",
        "compare_funnel_title": "Cases arriving at each office (all pathways)",
        "compare_days_title": "Median days to card by year of application",
        "compare_cost_title": "Visits and cost to the citizen per enrolled household",
        "compare_budget_title": "Premium spending against the budget, by year",
        "scenario": "Scenario", "idr": "IDR", "rupiah_axis": "Rupiah",
        # console
        "c_enrolled": "Enrolled on {date}: {mean} people ({ci}); target {target}, gap {gap}; "
                      "observed {obs}.",
        "c_ci": "95% CI {lo} to {hi}, {reps} reps", "c_ci1": "1 rep: no CI",
        "c_cases": "Cases per rep: applied {applied}, enrolled {enrolled}, rejected "
                   "{rejected}, abandoned {abandoned}, still in process {in_process}.",
        "c_pathway": "  {p:6s}: median {med} days to card (p90 {p90}), {visits} visits and "
                     "{cost} per enrolled household, {aband}% of closed cases abandoned.",
        "c_running": "Running '{name}' ({file}): {reps} replication(s), seed {seed}, "
                     "{workers} worker(s).",
        "c_wrote": "Wrote {dir}/",
        "na": "n/a",
        # dashboard
        "app_title": "Jambi Bugar: enrollment workshop",
        "controls": "Policy controls", "barriers": "Coordination barriers",
        "barriers_help": "0 = absent, 1 = strongest",
        "mechanisms": "Coordination mechanisms", "hierarchy": "Tim Koordinasi (hierarchy)",
        "hierarchy_strength": "Tim Koordinasi strength",
        "tim_interval": "Tim reviews stalled cases every ... days",
        "tim_approval": "Tim approval sitting every ... days (what-if only)", "network": "Informal network",
        "network_strength": "Network strength", "collaboration": "Shared database",
        "collaboration_strength": "Collaboration strength",
        "pathway_mode": "Pathway", "mode_switch": "Manual, then website",
        "mode_manual": "Manual only", "mode_online": "Website from the start",
        "online_from": "Website goes live (YYYY-MM-DD)",
        "campaign": "Awareness campaigns", "campaign_reach": "Campaign reach (share)",
        "campaign_every": "Campaigns per year", "quota": "Quota: premium budget scale",
        "quota_help": "1 = the city's budgets; 1.2 = 20% more each year",
        "run": "Run", "running": "Simulating …", "lang": "Bahasa",
        "baseline": "Baseline", "changed": "Your scenario",
        "auto_note": "Every change re-runs both scenarios at once (same seed, same city) "
                     "and redraws; there is no Reset to press. Last run: {secs} s.",
        "tab_coverage": "Coverage", "tab_funnel": "Funnel", "tab_backlog": "Backlog",
        "tab_days": "Days to card", "tab_cost": "Visits and cost", "tab_replay": "One household",
        "backlog_title": "Cases waiting at each office", "backlog_axis": "Cases in queue",
        "visits_axis": "Visits per enrolled household", "cost_axis": "Rupiah per enrolled household",
        "replay_pick": "Case number", "replay_title": "Journey of case {id} ({pathway}): {outcome}",
        "replay_days": "Days since application", "replay_wait": "waiting",
        "replay_service": "being served", "replay_transit": "hand-off or trip to the next office",
        "outcome_in_process": "still in process",
        "summary_line": "{name}: {members} active members on {date}; median {days} days to "
                        "card; {cost} per enrolled household",
        "bad_date": "Not a date in YYYY-MM-DD between {lo} and {hi}: kept {kept}.",
        # accounting and gap attribution
        "acct_title": "Where the {ever} people ever eligible are on {date}: {active} active "
                      "members",
        "acct_end": "On {date} (mean, 95% interval)", "acct_month": "By month (mean)",
        "acct_people": "People", "acct_share": "{share} of everyone ever eligible",
        "acct_note": "Everyone eligible at some time since the start date, counted from "
                     "household state: the accounts add up to the total with no residual. "
                     "'Moved to central PBI-JK' are covered, outside the city's stock.",
        "attr_title": "Members each removed cause would add by {date}, against a gap of {gap}",
        "attr_axis": "Members added on the end date (mean, 95% interval)",
        "attr_gap": "Gap to the target: {gap}",
        "attr_note": "Paired runs, one cause removed at a time, {reps} replications under "
                     "common random numbers. Causes interact: the bars are not parts of the "
                     "gap and need not add up to it.",
        "attr_none": "Gap attribution not run (--no-attribution).",
        "tab_accounting": "Where everyone is", "tab_attribution": "Gap by cause",
        "ens_ask": "Band over the calibrated sets ({n})",
        "ens_help": "Your scenario and the baseline under each of the {n} accepted parameter "
                    "sets (one replication each, same seeds): how much the answer depends on "
                    "the set. About a minute the first time.",
        "ens_band": "Your scenario over {n} sets: active members at the end {mean} (95% band "
                    "{lo}–{hi}).",
        "ens_diff": "Against the baseline: {diff} active members; {agree}.",
        "ens_none": "This scenario names no calibrated ensemble: the answer rests on one set.",
        "tab_causes": "Gap by cause",
        "gap_ask": "Compute the gap by cause",
        "gap_ask_help": "Your scenario with each cause removed in turn (no quota, no churn, "
                        "no wrongful rejections, ...): seven more runs of the same city and "
                        "seed, about 15 seconds.",
        "account": "Account", "cause": "Cause", "members_added": "Members added",
        "share_of_gap": "Share of the gap", "ever_eligible": "Everyone ever eligible",
        "c_accounting": "Ever eligible {ever}: active {active}, never applied {never}, "
                        "gave up {aband}, rejected {rej}, moved to PBI-JK {pbi}, other "
                        "exits {gone}.",
        "c_attribution": "Members each removed cause would add ({reps} paired reps; gap "
                         "{gap}): {parts}.",
    },
    "id": {
        "uncalibrated": "belum dikalibrasi", "reps": "replikasi", "rep": "replikasi",
        "seed": "seed", "date": "Tanggal", "year": "Tahun", "manual": "Manual",
        "online": "Daring (website)", "pathway": "Jalur", "vs": "dibanding",
        "per_run": "per replikasi",
        "coverage_title": "Peserta aktif mencapai {end} pada {date}, dibanding target {target}",
        "members": "Peserta aktif (jiwa)", "sim_mean": "Rata-rata simulasi",
        "sim_band": "Rentang antar-replikasi", "target": "Target ({target})",
        "cap": "Kuota anggaran (anggaran premi / premi)",
        "observed": "Realisasi: {obs} (Maret 2024)", "online_go_live": "Website mulai beroperasi",
        "funnel_title": "Di mana pendaftaran gugur",
        "funnel_headline": "{pathway}: kehilangan terbesar {where} ({n} {per})",
        "loss_here": "di {stage}", "loss_way": "dalam perjalanan ke {stage}",
        "arrived": "Tiba", "continued": "Lanjut", "in_process": "Masih diproses",
        "rejected": "Ditolak", "gave_up_here": "Mundur di sini",
        "gave_up_way": "Mundur di perjalanan", "cases_axis": "Berkas (rata-rata per replikasi)",
        "funnel_note": "'Mundur di sini' termasuk rumah tangga yang pindah, meninggal atau "
                       "keluar dari kemiskinan saat di sana. Berkas rujukan lembaga tidak "
                       "ditampilkan.",
        "days_title": "Hari dari pendaftaran sampai kartu aktif, menurut tahun pendaftaran",
        "days_axis": "Hari sampai kartu aktif\n(titik: median; garis: separuh tengah)",
        "days_pending": "Belum selesai (%)",
        "days_note": "Hanya berkas yang kartunya aktif sampai {end}. Pendaftaran tahun-tahun "
                     "akhir tersensor: berkas yang lambat belum punya kartu (panel bawah), "
                     "sehingga mediannya terlalu rendah. Bandingkan jalur pada tahun yang sama.",
        "median": "median", "n_cases": "n",
        "whatif_title": "Peserta aktif untuk tiap nilai {param}",
        "whatif_headline": "{param} dari {lo} ke {hi}: {diff} peserta aktif pada {date}",
        "whatif_band": "pita: persentil ke-10 sampai ke-90 dari {reps} replikasi, bilangan "
                       "acak bersama",
        "value": "nilai", "on": "aktif", "off": "nonaktif",
        "enrolled_end": "Peserta aktif di akhir",
        "ci95": "IK 95%", "diff_first": "Selisih dibanding {first} (berpasangan)",
        "days_median": "Median hari sampai kartu", "abandoned_share": "Berkas selesai yang mundur",
        "visits": "Kunjungan per rumah tangga terdaftar", "cost": "Biaya warga",
        "cost_per": "Biaya warga per rumah tangga terdaftar",
        "budget": "Belanja premi per tahun", "budget_line": "Anggaran",
        "budget_total": "Belanja premi, seluruh periode",
        "compare_title": "{a} dibanding {b}",
        "compare_coverage_title": "Peserta aktif: skenario dengan seed yang sama",
        "compare_funnel_title": "Berkas yang tiba di tiap kantor (semua jalur)",
        "compare_days_title": "Median hari sampai kartu aktif menurut tahun pendaftaran",
        "compare_cost_title": "Kunjungan dan biaya warga per rumah tangga terdaftar",
        "compare_budget_title": "Belanja premi dibanding anggaran, per tahun",
        "scenario": "Skenario", "idr": "Rp", "rupiah_axis": "Rupiah",
        "c_enrolled": "Peserta aktif pada {date}: {mean} jiwa ({ci}); target {target}, "
                      "kekurangan {gap}; realisasi {obs}.",
        "c_ci": "IK 95% {lo} sampai {hi}, {reps} replikasi", "c_ci1": "1 replikasi: tanpa IK",
        "c_cases": "Berkas per replikasi: mendaftar {applied}, terdaftar {enrolled}, ditolak "
                   "{rejected}, mundur {abandoned}, masih diproses {in_process}.",
        "c_pathway": "  {p:6s}: median {med} hari sampai kartu aktif (p90 {p90}), {visits} "
                     "kunjungan dan {cost} per rumah tangga terdaftar, {aband}% berkas selesai "
                     "berakhir mundur.",
        "c_running": "Menjalankan '{name}' ({file}): {reps} replikasi, seed {seed}, "
                     "{workers} proses.",
        "c_wrote": "Ditulis ke {dir}/",
        "na": "t/a",
        "app_title": "Jambi Bugar: lokakarya kepesertaan",
        "controls": "Pengaturan kebijakan", "barriers": "Hambatan koordinasi",
        "barriers_help": "0 = tidak ada, 1 = paling kuat",
        "mechanisms": "Mekanisme koordinasi", "hierarchy": "Tim Koordinasi (hierarki)",
        "hierarchy_strength": "Kekuatan Tim Koordinasi",
        "tim_interval": "Rapat evaluasi Tim tiap ... hari",
        "tim_approval": "Sidang persetujuan Tim tiap ... hari (hanya skenario)", "network": "Jejaring informal",
        "network_strength": "Kekuatan jejaring", "collaboration": "Basis data bersama",
        "collaboration_strength": "Kekuatan kolaborasi",
        "pathway_mode": "Jalur", "mode_switch": "Manual, lalu website",
        "mode_manual": "Manual saja", "mode_online": "Website sejak awal",
        "online_from": "Website mulai beroperasi (TTTT-BB-HH)",
        "campaign": "Sosialisasi", "campaign_reach": "Jangkauan sosialisasi (proporsi)",
        "campaign_every": "Sosialisasi per tahun", "quota": "Kuota: skala anggaran premi",
        "quota_help": "1 = anggaran kota; 1,2 = 20% lebih tiap tahun",
        "run": "Jalankan", "running": "Menyimulasikan …", "lang": "Language",
        "baseline": "Skenario dasar", "changed": "Skenario Anda",
        "auto_note": "Setiap perubahan langsung menjalankan ulang kedua skenario (seed dan "
                     "kota yang sama) lalu menggambar ulang; tidak perlu menekan Reset. "
                     "Terakhir: {secs} detik.",
        "tab_coverage": "Cakupan", "tab_funnel": "Corong", "tab_backlog": "Antrean",
        "tab_days": "Hari sampai kartu", "tab_cost": "Kunjungan dan biaya",
        "tab_replay": "Satu rumah tangga",
        "backlog_title": "Berkas yang menunggu di tiap kantor", "backlog_axis": "Berkas antre",
        "visits_axis": "Kunjungan per rumah tangga terdaftar",
        "cost_axis": "Rupiah per rumah tangga terdaftar",
        "replay_pick": "Nomor berkas",
        "replay_title": "Perjalanan berkas {id} ({pathway}): {outcome}",
        "replay_days": "Hari sejak mendaftar", "replay_wait": "menunggu",
        "replay_service": "dilayani", "replay_transit": "serah terima atau perjalanan ke kantor berikutnya",
        "outcome_in_process": "masih diproses",
        "summary_line": "{name}: {members} peserta aktif pada {date}; median {days} hari "
                        "sampai kartu; {cost} per rumah tangga terdaftar",
        "bad_date": "Bukan tanggal TTTT-BB-HH antara {lo} dan {hi}: tetap {kept}.",
        "acct_title": "Posisi {ever} jiwa yang pernah layak pada {date}: {active} peserta aktif",
        "acct_end": "Pada {date} (rata-rata, interval 95%)",
        "acct_month": "Per bulan (rata-rata)",
        "acct_people": "Jiwa", "acct_share": "{share} dari semua yang pernah layak",
        "acct_note": "Semua yang pernah layak sejak tanggal mulai, dihitung dari keadaan "
                     "rumah tangga: jumlah pos sama persis dengan totalnya. 'Dialihkan ke "
                     "PBI-JK pusat' tetap berjaminan, di luar kepesertaan kota.",
        "attr_title": "Tambahan peserta per penyebab yang dihilangkan, {date}; kekurangan {gap}",
        "attr_axis": "Tambahan peserta pada tanggal akhir (rata-rata, interval 95%)",
        "attr_gap": "Kekurangan dari target: {gap}",
        "attr_note": "Simulasi berpasangan, satu penyebab dihilangkan setiap kali, {reps} "
                     "replikasi dengan bilangan acak bersama. Penyebab saling berkaitan: "
                     "batang bukan bagian dari kekurangan dan tidak harus berjumlah sama "
                     "dengannya.",
        "attr_none": "Atribusi kekurangan tidak dijalankan (--no-attribution).",
        "tab_accounting": "Posisi semua warga", "tab_attribution": "Kekurangan per penyebab",
        "ens_ask": "Rentang atas set terkalibrasi ({n})",
        "ens_help": "Skenario Anda dan skenario dasar di bawah masing-masing {n} set parameter "
                    "yang diterima (satu replikasi, benih yang sama): seberapa jauh jawaban "
                    "bergantung pada set. Sekitar satu menit untuk pertama kali.",
        "ens_band": "Skenario Anda atas {n} set: peserta aktif di akhir {mean} (rentang 95% "
                    "{lo}–{hi}).",
        "ens_diff": "Dibanding skenario dasar: {diff} peserta aktif; {agree}.",
        "ens_none": "Skenario ini tidak memiliki ensembel terkalibrasi: jawaban bertumpu pada "
                    "satu set.",
        "tab_causes": "Per penyebab",
        "gap_ask": "Hitung kekurangan per penyebab",
        "gap_ask_help": "Skenario Anda dengan setiap penyebab dihapus bergantian (tanpa kuota, "
                        "tanpa perputaran peserta, tanpa penolakan keliru, ...): tujuh run "
                        "tambahan dengan kota dan seed yang sama, sekitar 15 detik.",
        "account": "Pos", "cause": "Penyebab", "members_added": "Tambahan peserta",
        "share_of_gap": "Bagian dari kekurangan", "ever_eligible": "Semua yang pernah layak",
        "c_accounting": "Pernah layak {ever}: aktif {active}, belum mendaftar {never}, "
                        "mundur {aband}, ditolak {rej}, dialihkan ke PBI-JK {pbi}, keluar "
                        "lainnya {gone}.",
        "c_attribution": "Tambahan peserta jika satu penyebab dihilangkan ({reps} replikasi "
                         "berpasangan; kekurangan {gap}): {parts}.",
    },
}
MONTHS = {"en": ["January", "February", "March", "April", "May", "June", "July", "August",
                 "September", "October", "November", "December"],
          "id": ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
                 "September", "Oktober", "November", "Desember"]}


def tr(key: str, lang: str = "en", **fmt: Any) -> str:
    """The label ``key`` in ``lang``, with ``{placeholders}`` filled from ``fmt``."""
    text = T.get(lang, T["en"]).get(key, T["en"][key])
    return text.format(**fmt) if fmt else text


def stage(name: str, lang: str = "en") -> str:
    return STAGES[lang].get(name, name)


def pathway(name: str, lang: str = "en") -> str:
    return T[lang].get(name, name)


# ------------------------------------------------------------------ numbers
def num(value: float | None, lang: str = "en", digits: int = 0) -> str:
    """26,469.5 in English; 26.469,5 in Bahasa Indonesia."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return tr("na", lang)
    text = f"{value:,.{digits}f}"
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text.replace("-", "−")  # a true minus sign


def pct(share: float | None, lang: str = "en", digits: int = 0) -> str:
    """0.081 -> '8%' (or '8,1%' with digits=1 in Bahasa Indonesia)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return tr("na", lang)
    return num(100 * share, lang, digits) + "%"


def rupiah(value: float | None, lang: str = "en") -> str:
    """Rp121,900 / Rp13.7 billion in English; Rp121.900 / Rp13,7 miliar in Indonesian."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return tr("na", lang)
    for scale, en, id_ in ((1e12, "trillion", "triliun"), (1e9, "billion", "miliar"),
                           (1e6, "million", "juta")):
        if abs(value) >= scale:
            return f"Rp{num(value / scale, lang, 1)} {id_ if lang == 'id' else en}"
    return f"Rp{num(value, lang)}"


def date_text(day: dt.date | str, lang: str = "en") -> str:
    """31 March 2024 / 31 Maret 2024."""
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return f"{d.day} {MONTHS[lang][d.month - 1]} {d.year}"


def subtitle(scenario: str, reps: int, seed: int, lang: str = "en",
             calibrated: bool = False) -> str:
    """The line every figure carries: scenario, replications, seed, calibration status."""
    parts = [scenario, f"{num(reps, lang)} {tr('reps' if reps != 1 else 'rep', lang)}",
             f"{tr('seed', lang)} {seed}"]
    if not calibrated:
        parts.append(tr("uncalibrated", lang))
    return " · ".join(parts)


# ------------------------------------------------------------------ console
def console_summary(s: dict[str, Any], lang: str = "en") -> str:
    """The short summary printed after a run (``jambi-sim run``)."""
    e = s["enrolled_end"]
    ci = tr("c_ci1", lang) if e["ci_low"] is None else tr(
        "c_ci", lang, lo=num(e["ci_low"], lang), hi=num(e["ci_high"], lang), reps=s["reps"])
    end = s["end_date"] if lang == "en" else date_text(s["end_date"], lang)
    c = s["cases"]
    lines = [
        tr("c_enrolled", lang, date=end, mean=num(e["mean"], lang), ci=ci,
           target=num(s["target"], lang), gap=num(s["gap_end"], lang),
           obs=num(s["observed_enrolled"], lang)),
        tr("c_cases", lang, **{k: num(c[k], lang) for k in
                               ("applied", "enrolled", "rejected", "abandoned", "in_process")}),
    ]
    for p, f in s["by_pathway"].items():
        if f["enrolled_cases"]:
            d = f["days_to_card"]
            lines.append(tr("c_pathway", lang, p=p if lang == "en" else pathway(p, lang),
                            med=num(d["median"], lang), p90=num(d["p90"], lang),
                            visits=num(f["visits_per_enrollee"], lang, 1),
                            cost=rupiah(f["citizen_cost_idr_per_enrollee"], lang),
                            aband=num(100 * (f["abandoned_share"] or 0.0), lang)))
    return "\n".join(lines)
