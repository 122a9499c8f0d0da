"""Ensemble answers in words and tables, in English and Bahasa Indonesia (issue 22):
the headline band of a run, and the paired differences with their agreement shares of
``whatif`` and ``compare``."""

from __future__ import annotations

from typing import Any

from sim.runner.ensemble import agree_text

# the outputs a run's printed ensemble summary shows, with their labels
HEADLINE = ("active_members_end", "people_ever_enrolled", "days_to_card_median",
            "visits_per_enrolled_household", "premium_idr_2023")
COMPARED = ("active_members_end", "days_to_card_median", "days_to_card_no_quota_median",
            "visits_per_enrolled_household", "citizen_cost_idr_per_enrolled_household",
            "people_ever_enrolled")
LABELS = {
    "active_members_end": ("active members at the end", "peserta aktif di akhir"),
    "people_ever_enrolled": ("people ever enrolled", "orang yang pernah terdaftar"),
    "days_to_card_median": ("median days to card", "median hari sampai kartu"),
    "days_to_card_no_quota_median": ("median days to card, without the quota wait",
                                     "median hari sampai kartu, tanpa menunggu kuota"),
    "visits_per_enrolled_household": ("visits per enrolled household",
                                      "kunjungan per rumah tangga terdaftar"),
    "citizen_cost_idr_per_enrolled_household": ("citizen cost per enrolled household (Rp)",
                                                "biaya warga per rumah tangga terdaftar (Rp)"),
    "premium_idr_2023": ("premiums paid in 2023 (Rp)", "iuran dibayar tahun 2023 (Rp)"),
}
WORDS = {
    "ensemble": ("Ensemble", "Ensembel"),
    "sets_reps": ("{sets} accepted sets x {reps} replications",
                  "{sets} set yang diterima x {reps} replikasi"),
    "band": ("95% band", "rentang 95%"),
    "set_means": ("set means", "rerata per set"),
    "one_set": ("One set of the ensemble (set {set} of {file}): the answer rests on one "
                "parameter set, not on the ensemble.",
                "Satu set dari ensembel (set {set} dari {file}): jawaban ini bertumpu pada "
                "satu set parameter, bukan pada ensembel."),
    "no_ensemble": ("No ensemble: this file's own values (one set).",
                    "Tanpa ensembel: nilai berkas ini sendiri (satu set)."),
    "below_target": ("sets whose mean ends below the target of {target:,}",
                     "set yang reratanya berakhir di bawah target {target:,}"),
    "detail": ("The tables and figures below come from this file's own values (one set).",
               "Tabel dan gambar di bawah berasal dari nilai berkas ini sendiri (satu set)."),
    "output": ("output", "keluaran"),
    "against": ("scenario", "skenario"),
    "reference": ("Each difference is the scenario minus the reference, {ref}, paired within "
                  "each set and replication (the same seeds); a set agrees when its 95% "
                  "interval lies on the stated side of zero.",
                  "Setiap selisih adalah skenario dikurangi acuan, {ref}, berpasangan dalam "
                  "setiap set dan replikasi (benih yang sama); sebuah set sepakat bila "
                  "selang 95%-nya berada di sisi nol yang disebut."),
    "mean_diff": ("mean difference", "rerata selisih"),
    "set_range": ("range over sets", "kisaran antar set"),
    "agree": ("sets that agree", "set yang sepakat"),
    "claim_up": ("higher", "lebih tinggi"),
    "accounts": ("Where everyone ever eligible is on {date}, over the sets",
                 "Posisi semua orang yang pernah layak pada {date}, antar set"),
    "account": ("account", "akun"),
    "people_mean": ("people (mean)", "orang (rerata)"),
    "causes": ("The gap by cause, set by set ({date})", "Kesenjangan menurut penyebab, per set "
               "({date})"),
    "cause": ("removed", "dihapus"),
    "added": ("members added (mean)", "peserta bertambah (rerata)"),
    "agree_adds": ("sets where removing it adds members", "set di mana penghapusannya "
                   "menambah peserta"),
    "gap_line": ("Gap to the target of {target:,}: {gap} on average (set means {lo} to {hi}). "
                 "Each cause is removed in each set's own scenario and paired with that set's "
                 "runs (the same seeds); a set agrees when its 95% interval lies above zero. "
                 "Causes interact: the parts need not add up to the gap.",
                 "Kesenjangan terhadap target {target:,}: rata-rata {gap} (rerata per set {lo} "
                 "sampai {hi}). Setiap penyebab dihapus dalam skenario masing-masing set dan "
                 "dipasangkan dengan jalannya set itu (benih yang sama); sebuah set sepakat "
                 "bila selang 95%-nya di atas nol. Penyebab saling berinteraksi: bagian-"
                 "bagiannya tidak harus berjumlah sama dengan kesenjangan."),
    "claim_down": ("lower", "lebih rendah"),
}


def w(key: str, lang: str, **fmt: Any) -> str:
    text = WORDS[key][1 if lang == "id" else 0]
    return text.format(**fmt) if fmt else text


def label(output: str, lang: str) -> str:
    pair = LABELS.get(output)
    return pair[1 if lang == "id" else 0] if pair else output


def num(x: float | None) -> str:
    if x is None:
        return "-"
    if abs(x) >= 1e8:
        return f"{x / 1e9:.2f} bn"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def run_lines(block: dict[str, Any], lang: str = "en") -> str:
    """The printed ensemble summary of ``jambi-sim run``."""
    if block.get("single_set"):
        return w("one_set", lang, set=block["set"], file=block["file"])
    if not block.get("sets"):
        return w("no_ensemble", lang)
    out = [f"{w('ensemble', lang)} ({block['file']}): "
           f"{w('sets_reps', lang, sets=block['n_sets'], reps=block['reps'])}"]
    for o in HEADLINE:
        d = block["outputs"].get(o)
        if d is None or d["mean"] is None:
            continue
        lo, hi = d["band_2_5_97_5"]
        a, b = d["set_means_range"]
        out.append(f"  {label(o, lang)}: {num(d['mean'])} ({w('band', lang)} {num(lo)}–{num(hi)};"
                   f" {w('set_means', lang)} {num(a)}–{num(b)})")
    t = block.get("below_target")
    if t is not None:
        out.append(f"  {w('below_target', lang, target=t['target'])}: {agree_text(t, lang)}")
    out.append(w("detail", lang))
    return "\n".join(out)


def accounts_markdown(block: dict[str, Any], date: str, lang: str = "en") -> str:
    """Where everyone ever eligible is on the end date: each account's mean over the sets
    and replications, its band and the range of the sets' means."""
    from sim.model.accounting import ACCOUNTS
    from sim.show.i18n import ACCOUNT_LABELS

    outs = block.get("outputs", {})
    if f"acct_{ACCOUNTS[0]}_end" not in outs:
        return ""
    rows = [f"## {w('accounts', lang, date=date)}", "",
            f"| {w('account', lang)} | {w('people_mean', lang)} | {w('band', lang)} | "
            f"{w('set_means', lang)} |", "|---|---:|---:|---:|"]
    names = ACCOUNT_LABELS["id" if lang == "id" else "en"]
    for k in [*ACCOUNTS, "ever_eligible"]:
        d = outs.get(f"acct_{k}_end") or outs.get(f"{k}_end")
        if not d or d["mean"] is None:
            continue
        lo, hi = d["band_2_5_97_5"]
        a, b = d["set_means_range"]
        name = names.get(k, "Everyone ever eligible" if lang != "id" else
                         "Semua yang pernah layak")
        rows.append(f"| {name} | {num(d['mean'])} | {num(lo)}–{num(hi)} | {num(a)}–{num(b)} |")
    return "\n".join(rows) + "\n"


def causes_table(block: dict[str, Any]) -> Any:
    """attribution_sets.csv: one row per cause."""
    import pandas as pd

    from sim.show.i18n import CAUSE_LABELS

    return pd.DataFrame([{
        "cause": c, "label_en": CAUSE_LABELS["en"][c], "label_id": CAUSE_LABELS["id"][c],
        "members_added_mean": d["mean"], "set_mean_low": d["set_diff_range"][0],
        "set_mean_high": d["set_diff_range"][1], "sets_agree": d["agree"],
        "sets": d["sets"], "share": d["share"], "share_ci_low": d["share_ci95"][0],
        "share_ci_high": d["share_ci95"][1], "reps": block["reps"]}
        for c, d in block["causes"].items()])


def causes_markdown(block: dict[str, Any], lang: str = "en") -> str:
    """The gap by cause over the ensemble (:func:`sim.runner.attribution.attribute_over_sets`)."""
    from sim.show.i18n import CAUSE_LABELS

    g = block["gap"]
    rows = [f"## {w('causes', lang, date=block['date'])}", "",
            w("gap_line", lang, target=block["target"], gap=num(g["mean"]),
              lo=num(g["set_means_range"][0]), hi=num(g["set_means_range"][1])), "",
            f"| {w('cause', lang)} | {w('added', lang)} | {w('set_range', lang)} | "
            f"{w('agree_adds', lang)} |", "|---|---:|---:|---|"]
    names = CAUSE_LABELS["id" if lang == "id" else "en"]
    order = sorted(block["causes"], key=lambda c: -block["causes"][c]["mean"])
    for c in order:
        d = block["causes"][c]
        a, b = d["set_diff_range"]
        rows.append(f"| {names[c]} | {d['mean']:+,.0f} | {a:+,.0f} to {b:+,.0f} | "
                    f"{agree_text(d, lang)} |")
    return "\n".join(rows) + "\n"


def diff_markdown(block: dict[str, Any], lang: str = "en") -> str:
    """The table of paired differences over the ensemble, one row per (variant, output)."""
    head = (f"| {w('output', lang)} | {w('against', lang)} | {w('mean_diff', lang)} | "
            f"{w('set_range', lang)} | {w('agree', lang)} |")
    rows = [f"## {w('ensemble', lang)}: "
            f"{w('sets_reps', lang, sets=block['n_sets'], reps=block['reps'])}", "",
            w("reference", lang, ref=block["reference"]), "", head, "|---|---|---:|---:|---|"]
    for variant in block["variants"]:
        for o, d in variant["outputs"].items():
            a, b = d["set_diff_range"]
            claim = w("claim_up" if d["claim"] == "up" else "claim_down", lang)
            rows.append(f"| {label(o, lang)} | {variant['label']} | {d['mean']:+,.1f} | "
                        f"{a:+,.1f} to {b:+,.1f} | {claim}: {agree_text(d, lang)} |")
    return "\n".join(rows) + "\n"
