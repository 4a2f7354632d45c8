"""The shapes the demo hub's synthetic history is drawn from: how many flags a questionnaire has
and which, how fast each partner works, how often referrals are declined, cancelled or
re-routed and why, the names and streets of made-up people, and when in the day questionnaires
arrive. Numbers only; ``hub.demo.history`` draws from them."""

from __future__ import annotations

# How many flags a questionnaire has (0 to 6) and how often: about 2.4 on average.
FLAG_COUNTS = (0, 1, 2, 3, 4, 5, 6)
FLAG_WEIGHTS = (4, 19, 31, 26, 13, 5, 2)
# How often each question is answered "yes", relative to one another.
QUESTION_WEIGHTS = {
    "smoke_alarms": 14,
    "fire_risk": 5,
    "home_security": 6,
    "scams": 7,
    "personal_alarm": 8,
    "falls": 13,
    "smoking": 2,
    "alcohol_drugs": 1,
    "memory": 5,
    "caring": 4,
    "lonely": 9,
    "active": 6,
    "eating": 3,
    "low_mood": 5,
    "cold_home": 6,
    "repairs": 6,
    "benefits": 8,
    "money_worries": 4,
}
# Partners' typical days from forwarding to first contact (the median); the rest take 4.
CONTACT_DAYS = {
    "lfb-home-fire-safety": 3.0,
    "met-police-crime-prevention": 4.5,
    "london-trading-standards": 5.0,
    "age-uk-personal-alarms": 2.0,
    "nhs-falls-prevention": 6.5,
    "stop-smoking-service": 2.0,
    "nhs-memory-service": 9.0,
    "age-uk-befriending": 7.0,
    "talking-therapies": 8.0,
    "lambeth-talking-therapies": 7.5,
    "southwark-talking-therapies": 8.5,
    "handyperson-service": 6.0,
    "age-uk-information-advice": 3.0,
}
DECLINE_SHARE = {"nhs-memory-service": 0.07, "talking-therapies": 0.08, "handyperson-service": 0.06}
# (code, words), as a partner declines from the list (hub/referrals/decline_reasons.py).
DECLINE_REASONS = (
    ("outside_area", "Outside our area: the client lives in another borough"),
    ("not_eligible", "Not eligible: the client's needs are too complex for our service"),
    ("already_supported", "Already supported: the client already receives this service from us"),
    ("no_capacity", "No capacity: our waiting list is closed for new referrals"),
    ("other", "Referral is missing information we need: please send the client's GP details"),
)
CANCEL_REASONS = (
    "Duplicate of another referral for the same person",
    "Client has moved into residential care",
    "Client has died",
    "Client is in hospital for the long term",
)
WITHDRAWAL_REASONS = (
    "the client phoned to say they no longer want any referrals",
    "the client's family asked us to stop on the client's behalf",
)
# Where the hub sends a need a partner declined, beside the question's own other partners.
REROUTES = {
    "falls": ("active-ageing-exercise",),
    "active": ("nhs-falls-prevention",),
    "lonely": ("lunch-clubs-nutrition", "active-ageing-exercise"),
    "eating": ("age-uk-befriending",),
    "cold_home": ("age-uk-information-advice",),
    "repairs": ("affordable-warmth",),
    "personal_alarm": ("handyperson-service",),
}
OUTCOMES_AFTER_CONTACT = (
    "service_provided",
    "client_declined",
    "referred_elsewhere",
    "not_eligible",
)
OUTCOME_WEIGHTS = (80, 12, 4, 4)

GIVEN_NAMES = (
    "Margaret", "Patricia", "Jean", "Barbara", "Joan", "Dorothy", "Eileen", "Doreen", "Irene",
    "Sylvia", "Maureen", "Winifred", "Gladys", "Iris", "Beryl", "Pauline", "Valerie", "Hyacinth",
    "Marcia", "Comfort", "Bernadette", "Kathleen", "Bridget", "Mary", "Rose", "Agnes", "Sheila",
    "Brenda", "Yvonne", "Gloria", "Florence", "Olive", "Edna", "Shirley", "Ngozi", "Parveen",
    "John", "David", "Michael", "Peter", "Brian", "Kenneth", "Roy", "Dennis", "Albert", "Frank",
    "George", "Harold", "Ronald", "Derek", "Winston", "Lloyd", "Clifton", "Delroy", "Errol",
    "Samuel", "Joseph", "Patrick", "Francis", "Tunde", "Kwame", "Anthony", "Leonard", "Stanley",
)  # fmt: skip
FAMILY_NAMES = (
    "Smith", "Jones", "Williams", "Brown", "Taylor", "Johnson", "Davies", "Wilson", "Evans",
    "Thomas", "Roberts", "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes",
    "Edwards", "Green", "Hall", "Campbell", "Francis", "Grant", "Clarke", "Murphy", "O'Brien",
    "Kelly", "Okafor", "Adeyemi", "Mensah", "Patel", "Shah", "Khan", "Begum", "Ali", "Da Silva",
    "Santos", "Kowalski", "Nguyen", "Chen", "Ahmed", "Baptiste", "Henry", "Morgan", "Reid",
    "Lewis", "Stewart", "Bailey", "Powell", "Osei", "Byrne", "Doyle", "Gordon", "Palmer",
)  # fmt: skip
STREETS = {
    "lambeth": (
        "Brixton Hill", "Acre Lane", "Kennington Road", "Streatham High Road", "Clapham Road",
        "Norwood Road", "Tulse Hill", "Stockwell Road", "Railton Road", "Knights Hill",
    ),
    "southwark": (
        "Peckham Rye", "Rye Lane", "Walworth Road", "Camberwell Grove", "Lordship Lane",
        "Old Kent Road", "Jamaica Road", "East Dulwich Grove", "Denmark Hill", "Tower Bridge Road",
    ),
}  # fmt: skip
DISTRICTS = {
    "lambeth": ("SE11", "SE24", "SE27", "SW2", "SW4", "SW8", "SW9", "SW16"),
    "southwark": ("SE1", "SE5", "SE15", "SE16", "SE17", "SE21", "SE22"),
}
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
CONTACT_TIMES = (None, None, None, "Mornings are best", "After 2pm", "Not on Wednesdays")
# Receipts by hour of the day (London): office hours, a little in the evening (the API).
HOUR_WEIGHTS = (
    1, 1, 1, 1, 1, 1, 2, 8, 40, 90, 120, 120, 95, 100, 120, 110, 90, 45, 22, 12, 7, 4, 2, 1,
)  # fmt: skip


def cumulative(values):
    total = 0.0
    for value in values:
        total += value
        yield total


HOUR_CUMULATIVE = tuple(cumulative(HOUR_WEIGHTS))
FLAG_CUMULATIVE = tuple(cumulative(FLAG_WEIGHTS))
