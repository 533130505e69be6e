"""How members actually type red-flag symptoms, technique questions and everyday pain.

Shared by the unit tests (the matcher and /ask's reply) and the end-to-end tests (the
real bot). None of these strings is a phrasing in knowledge/red-flags.yaml word for
word: they carry typos, slang, extra words and other orders.
"""

from __future__ import annotations

RED_FLAG_QUESTIONS: dict[str, list[str]] = {
    "leg-numbness-or-sciatica": [
        "pain down my leg after deadlift",
        "pins and needles in my foot",
        "numbnes in my leg",
        "tingeling down my leg",
        "siatica after squats",
        "sciatica flare up",
        "shooting pain down my leg when I bend",
        "my foot goes numb after squats",
        "I can't feel my toes after leg day",
        "burning pain down the back of my thigh",
        "pain radiating into my leg",
        "pinched nerve in my lower back",
        "numbness in my calf after rdls",
        "tingling in my foot since yesterday",
    ],
    "leg-weakness": [
        "my leg gave way on the stairs",
        "my left leg is weak since my back went",
        "foot drop after lifting",
        "my foot is dragging when I walk",
        "legs buckling when i stand",
        "numbness in both legs",
        "tingling in both feet",
    ],
    "bladder-or-bowel-control": [
        "I wet myself after deadlifts",
        "peed myself a bit during squats",
        "can't pee properly since my back went",
        "trouble peeing and back pain",
        "lost bladder control",
        "pooped myself",
        "incontinence after lifting",
        "leaking urine when I lift",
    ],
    "saddle-numbness": [
        "numb bum after deadlifts",
        "my groin feels numb",
        "numbness in my groin",
        "pins and needles in my bum",
        "can't feel when I wipe",
        "saddle numbness",
        "numb between my legs down there",
    ],
    "fall-or-impact": [
        "fell off a ladder and my back hurts",
        "I fell down the stairs yesterday",
        "slipped on ice and landed on my back",
        "car accident last week back pain",
        "got tackled at rugby and my back hurts",
        "dropped the bar on myself",
    ],
    "fever-with-back-pain": [
        "back pain and a fever",
        "lower back ache with a high temperature",
        "feverish and my back hurts",
        "chills and back pain",
        "fevor and sore back",
    ],
    "night-pain": [
        "back pain wakes me up at night",
        "hurts more at night",
        "pain at night in bed",
        "can't sleep because of my back",
        "nite pain in lower back",
        "my back hurts even when resting",
    ],
    "unexplained-weight-loss": [
        "lost weight without trying and my back hurts",
        "losing weight for no reason",
        "unexplained weight loss and back ache",
        "lost a stone and back pain",
    ],
    "history-of-cancer": [
        "I had cancer and now my back hurts",
        "back pain after chemo",
        "history of cancer, new back pain",
        "in remission and my back aches",
    ],
    "chest-pain-or-breathlessness": [
        "chest pain and upper back pain",
        "it hurts to breathe between my shoulder blades",
        "short of breath and pain between shoulder blades",
        "tight chest when benching",
        "pain down my left arm and back",
        "chest pian",
    ],
}

URGENT = {
    "leg-weakness",
    "bladder-or-bowel-control",
    "saddle-numbness",
    "chest-pain-or-breathlessness",
}

TECHNIQUE_QUESTIONS = [
    "how do i brace for squats",
    "what should i feel in a barbell row",
    "best grip for chin ups",
    "how wide should my deadlift stance be",
    "rdl vs good morning",
    "how many sets of face pulls",
    "how to breathe when squatting",
    "can't breathe when i brace",
    "how do I fall asleep after late training",
    "legs shaking on the last set of squats",
    "my grip fails on deadlifts",
    "how to set up a seal row",
    "does wearing a belt help",
    "what muscles do pull ups work",
]

EVERYDAY_PAIN_QUESTIONS = [
    "lower back sore after squats",
    "my back hurts after sitting all day",
    "tweaked my back deadlifting",
    "back stiff in the morning",
    "mid back pain when rowing",
]
