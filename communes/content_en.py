"""The shipped checklist in English, by criterion code: (title, what it takes).

The data migration ``0008`` fills these into the English columns of criteria that have
none yet; admins edit both languages afterwards (Criterion admin).
"""

CRITERIA_EN = {
    "CSVC-01": (
        "Banners and slogans promoting the “Friendly government” model at the head office "
        "and the one-stop desk",
        "Photos of the banners and slogans at the office gate and at the one-stop desk, "
        "showing their wording and place. At least 1 file (photo or PDF).",
    ),
    "CSVC-02": (
        "The “4 please, 4 always, 5 never” slogan posted at the one-stop desk",
        "A photo of the “4 please, 4 always, 5 never” slogan board posted where citizens "
        "easily see it at the one-stop desk. At least 1 photo.",
    ),
    "CSVC-03": (
        "Letters of apology and of thanks to citizens in use",
        "The templates of the letter of apology (for a late or faulty file) and of thanks, "
        "issued, with a copy of at least one letter sent to a citizen in the year (PDF, Word "
        "or photo).",
    ),
    "CSVC-04": (
        "The waiting area has enough seats, drinking water, fans or air conditioning",
        "Photos of the one-stop desk's waiting area: seats, drinking water, fans or air "
        "conditioning. 5 points when the evidence is approved.",
    ),
    "CSVC-05": (
        "Automatic queueing with numbered tickets",
        "Photos of the ticket machine and of the screen showing the number being served. "
        "5 points when the evidence is approved.",
    ),
    "CSVC-06": (
        "Administrative procedures and a QR code to track files posted publicly",
        "A photo of the board (or screen) listing the procedures in force, their fees and "
        "charges, time limits and the QR code to track a file.",
    ),
    "TDCB-01": (
        "A code of conduct for officials and civil servants issued and posted",
        "The decision issuing the commune's code of conduct (PDF or Word) and a photo of it "
        "posted at the one-stop desk.",
    ),
    "TDCB-02": (
        "Civil servants wear their badge and have a name plate at their desk",
        "A photo of the one-stop desk's civil servants at work: wearing their badge, with a "
        "name plate on the desk.",
    ),
    "TDCB-03": (
        "A suggestion box and a hotline number made public",
        "Photos of the suggestion box and of the board giving the hotline number of the "
        "commune chairperson; with the log of reports received and handled, if any.",
    ),
    "TDCB-04": (
        "Civil servants trained in communicating with citizens",
        "The plan, list of trainees or photos of a communication-skills training in the "
        "year. 5 points when the evidence is approved.",
    ),
    "TTHC-01": (
        "Share of administrative files settled on time",
        "Files settled on time or early divided by files settled in the year, as in the "
        "index of service to citizens and businesses. Enter the rate (%); met from 95%. "
        "Best with a report exported from the province's administrative procedure system.",
    ),
    "TTHC-02": (
        "A letter of apology for every late file",
        "The list of late files of the year with the matching letters of apology, or a "
        "statement that no file was late. 5 points when the evidence is approved.",
    ),
    "CNTT-01": (
        "Share of administrative files received online",
        "Files submitted online (fully or partly online public services) divided by all "
        "files received in the year. Enter the rate (%); met from 50%. Best with a "
        "statistics report from the public service portal.",
    ),
    "CNTT-02": (
        "Share of fees and charges paid online",
        "Files whose fees or charges were paid online divided by files with fees or "
        "charges in the year. 5 points when approved and from 30%. Applies from 2024.",
    ),
    "CNTT-03": (
        "An online channel for citizens (Zalo OA, web portal)",
        "A screenshot of the commune's Zalo OA or web portal with a questions and feedback "
        "section, with the number of answers in the year. 5 points when the evidence is "
        "approved.",
    ),
    "HL-01": (
        "Share of citizens satisfied with the one-stop desk",
        "Computed from the desk surveys answered in the year: at least the minimum number "
        "of answers (30 by default) and a share of “satisfied” or “very satisfied” at the "
        "threshold (85% by default) of that year's certification rule. No evidence to "
        "upload, no review.",
    ),
    "TT-01": (
        "Informing citizens of the “Friendly government” model",
        "An article on the web portal, news on the loudspeakers or photos of the meeting "
        "launching the model in the year. At least 1 file.",
    ),
    "TT-02": (
        "Adopting and spreading good practices (such as “Fast Friday”)",
        "A document or photo showing the commune applying a good practice in the year, "
        "such as Lê Lợi ward's “Fast Friday”: more staff on Fridays, and procedures that "
        "usually take 1–3 working days settled the same day. 10 points when the evidence "
        "is approved.",
    ),
}
