#!/usr/bin/env python3
"""Build the "does this app feedback need product follow-up?" corpus (Lab to Launch).

train.tsv, dev.tsv <- templates + slot lexicons below (dev uses held-out templates only);
test.tsv, test_kinds.tsv <- handwritten_test.txt (hand-written, each line tagged with a KIND).
Label 1 = needs follow-up (bug, crash, wrong/missed extraction, confusing screen, feature request,
privacy worry, billing, sync failure, complaint). Label 0 = praise, thanks, neutral/off-topic,
self-answered questions, problems the writer says are already solved.
Run: python3 make_corpus.py   (Python 3.11 standard library only; deterministic, seed 7)
"""
import itertools
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
N_TRAIN, N_DEV = 1400, 300
DEV_TEMPLATE_SHARE = 0.15      # share of templates (per label) held out for dev
NEAR_DUP = 0.8                 # word 3-gram Jaccard at or above this = near duplicate
KINDS = ["plain", "negation", "sarcasm", "mixed", "short", "long"]
MIN_PER_HARD_KIND, MIN_TEST = 40, 320

# ----------------------------------------------------------------------------------------
# Slot lexicons. A slot is written {name}; {Name} capitalises the value; {name2} draws a
# second value that differs from {name}. Lexicon entries may contain slots themselves.
# ----------------------------------------------------------------------------------------
# Each lexicon is one "|"-separated string, split into a list below.
LEX_TEXT = {
    "feature": "weekly summary|daily summary|reminders|medication reminders|PDF export|doctor export|CSV export|"
               "charts|symptom charts|trend chart|sleep chart|medication list|symptom tracker|wearable sync|"
               "watch sync|dark mode|home screen widget|widget|login|subscription page|search|calendar view|"
               "mood log|dose history|timeline|daily check-in|family profiles|settings screen|share button|"
               "blood pressure log|onboarding|notes field|report for my doctor|pill reminders|voice input|backup|"
               "monthly report",
    "onplat": "on my iPhone|on Android|on my iPad|on my Android tablet|on the web version|on my Pixel|on my Samsung|"
              "on the web app in Firefox|on my old iPhone SE|on my Chromebook|on the tablet|in Safari on my Mac|"
              "on my Motorola|on my Fire tablet|on the work PC",
    "device": "iPhone|Android phone|iPad|tablet|Pixel|Samsung|Chromebook|laptop|work computer|Galaxy Tab",
    "wearable": "Fitbit|Apple Watch|Garmin|Oura ring|Galaxy Watch|Withings scale|Omron cuff|Pixel Watch|Whoop strap|"
                "smart scale|glucose sensor|Polar watch|Amazfit band|Apple Health|Google Fit|Health Connect",
    "med": "ibuprofen|paracetamol|metformin|lisinopril|sertraline|amoxicillin|levothyroxine|atorvastatin|omeprazole|"
           "prednisolone|amlodipine|cetirizine|aspirin|vitamin D|iron tablets|magnesium|melatonin|salbutamol|"
           "naproxen|insulin|warfarin|propranolol|folic acid|codeine",
    "dose": "200mg|400 mg|5mg|10 mg|20mg|25 mg|50mcg|100 mcg|500mg|1 tablet|2 tablets|half a tablet|two puffs|"
            "1000 IU|15 ml|1g|0.5 mg|3 capsules|one capsule|8 units",
    "time": "8am|7:30|noon|lunchtime|9 pm|bedtime|11:15|after breakfast|around 6|10 in the morning|midnight|2pm|"
            "6:45am|dinner time|half past eight",
    "symptom": "headache|migraine|nausea|dizziness|back pain|fatigue|chest tightness|cough|rash|insomnia|joint pain|"
               "stomach cramps|anxiety|brain fog|sore throat|fever|palpitations|heartburn|shortness of breath|"
               "itching|knee pain|bloating",
    "condition": "migraines|diabetes|asthma|high blood pressure|arthritis|IBS|thyroid|long covid|back pain|anxiety|"
                 "epilepsy|eczema|allergies|heart condition|Crohn's|endometriosis|psoriasis|sleep apnea",
    "duration": "for a week|for two months|since January|for a year|for about 6 months|since my diagnosis|"
                "for 3 weeks|since the spring|for almost two years|every day this month|since last summer",
    "since": "two days ago|after the update|since Monday|last week|yesterday|after I changed phones|this morning|"
             "since the new version|three days ago|over the weekend",
    "person": "my doctor|my GP|my cardiologist|my nurse|my neurologist|my pharmacist|my physio|my rheumatologist|"
              "my endocrinologist|my therapist|my dietitian|my diabetes nurse|the specialist|my dermatologist",
    "family": "my mum|my dad|my husband|my wife|my sister|my brother|my neighbour|my best friend|my grandma|"
              "my partner|my coworker|my son|my daughter",
    "praise_adj": "great|amazing|fantastic|brilliant|super helpful|really useful|excellent|lovely|awesome|solid|"
                  "intuitive|so simple|reliable|wonderful|perfect|so easy to use|spot on|very handy|top notch|"
                  "really good|superb|clean and simple",
    "app_adj": "great|nice|good|lovely|solid|brilliant|useful|helpful|decent|beautiful|clever|handy|neat|excellent",
    "adj_simple": "good|useful|helpful|accurate|polished|clear|quick|smooth",
    "look_adj": "great|clean|lovely|fresh|modern|calm|really nice|much tidier",
    "praise_sent": "love this app|best health app I've used|does exactly what I need|highly recommend|"
                   "worth every penny|keep up the good work|thank you so much|really happy with it|"
                   "couldn't ask for more|great job team|would recommend to anyone|so glad I found it|it just works|"
                   "very pleased|this app rocks",
    "praise_short": "love it|perfect app|so helpful|great app|brilliant|very useful|thank you|works great|"
                    "life saver|nice one|amazing app|good stuff|excellent|top app|so good|lovely app",
    "crash_vp": "crashes|freezes|force closes|hangs on a white screen|gets stuck on the loading spinner|"
                "closes by itself|lags like crazy|takes forever to load|logs me out|throws an error|goes blank|"
                "restarts itself|shows an empty screen|stops responding",
    "action": "open the {feature2}|tap export|add a new medication|switch to the charts tab|rotate the screen|"
              "try to log in|sync my {wearable}|scroll back a month|edit an old entry|type a long note|"
              "open a reminder|share a report|change the units|add a photo|search my logs|save an entry|"
              "open the app from a notification|switch accounts",
    "bug_pred": "stopped working|won't load|froze again|crashed twice today|broke after the update|"
                "didn't save my changes|won't open {onplat}|got really slow|showed the wrong dates|"
                "lost last week's entries|went blank|can't handle long entries|won't sync with my {wearable}|"
                "stopped showing my {med}|keeps throwing errors since {since}",
    "billing": "charged twice this month|billed after cancelling my trial|charged the wrong amount|"
               "overcharged for the yearly plan|billed in dollars instead of euros|"
               "charged for premium I never ordered|auto-renewed without any reminder|"
               "charged but premium is still locked",
    "privacy_q": "where my logs are stored|whether my notes are shared with advertisers|"
                 "who can read my symptom entries|if the AI is trained on my health data|how to delete all my data|"
                 "why the app wants my location|whether my data leaves the EU|if my health notes are encrypted|"
                 "what happens to my data if I cancel|whether my employer could see my logs|"
                 "which companies get my wearable data",
    "privacy_use": "used to train your AI|shared with insurers|sold to advertisers|sent to third parties|"
                   "stored outside Europe|shown to my employer",
    "permission": "location|contacts|microphone|camera|Bluetooth|photo library",
    "request": "a dark mode|a home screen widget|CSV export|family profiles|reminders every other day|"
               "Spanish support|a way to mark doses as skipped|bigger fonts|two-factor login|an Apple Watch app|"
               "custom symptom tags|a food diary|a landscape layout on tablets|shared access for a carer|"
               "a weekly email summary|a way to hide some medications from the summary|an offline mode|"
               "a way to merge duplicate entries|different sounds per reminder|a print button|"
               "reminders on specific weekdays|a water intake tracker",
    "entries": "logs|entries from last week|medication history|symptom notes|sleep data|blood pressure readings|"
               "whole diary|reminders|custom symptoms|notes from this month",
    "event": "the update|switching phones|logging out|a sync|restoring a backup|changing my password|"
             "the app crashed|reinstalling|updating my phone",
    "problem_clause": "the {feature2} {bug_pred}|it logged the wrong dose for my {med}|my {wearable} won't sync|"
                      "I got charged twice|it missed my {time} {med}|there are way too many notifications|"
                      "it drains my battery|it keeps logging me out {onplat}|I can't find the {feature2} anymore|"
                      "it duplicates my entries|the font is tiny {onplat}|the export cuts off my notes|"
                      "it marked my {symptom} as severe when I wrote mild|you still haven't added {request}|"
                      "it {crash_vp} when I {action}|I'm not sure who can see my logs",
    "task": "edit an old entry|change a reminder time|delete a medication|turn off sync|export only one month|"
            "switch units|add a second profile|undo a deleted entry|cancel my subscription|change my email",
    "export_missing": "notes|blood pressure readings|sleep data|medication times|symptom severity|"
                      "entries from last month|food entries|charts",
    "mode": "on silent|in battery saver|on do not disturb|in low power mode|locked|in focus mode",
    "error": "invalid token|something went wrong|session expired|server error 500|account not found|unknown error|"
             "network error even on wifi",
    "measure": "weight|blood sugar|temperature|blood pressure|water intake|height",
    "num": "3|4|5|6|7|10|two|three|four",
    "wait": "a week|two weeks|ten days|over a month|5 days|three weeks",
    "issue": "my refund|the sync bug|my missing entries|deleting my account|the double charge|the login problem|"
             "the wrong doses|my export",
    "question_topic": "exporting to PDF|how to add a second medication|offline use|changing reminder times|"
                      "connecting my {wearable}|dark mode|how to delete an entry|switching units|"
                      "sharing reports with {person}|the yearly plan",
    "offtopic": "your support person Sam was lovely|the new app icon is cute|I'm logging from a beach holiday today|"
                "happy friday everyone|my cat walked across my phone and typed a log|it's snowing here|"
                "I told my whole book club about you",
    "daypart": "morning|evening|night|afternoon|day",
    "day": "3|10|30|45|100|200|365",
    "plan": "yearly plan|subscription|premium|monthly plan|family plan",
    "stars_low": "1 star.|2 stars.|One star -|1/5.|Zero stars if I could.",
    "stars_mid": "3 stars.|4 stars -|3/5.|Four stars.",
    "stars_high": "5 stars!|5 stars.|Five stars.|5/5.|10/10.",
}
LEX = {name: text.split("|") for name, text in LEX_TEXT.items()}
PLURAL = {"reminders", "medication reminders", "charts", "symptom charts", "family profiles",
          "pill reminders"}

# ----------------------------------------------------------------------------------------
# Templates. 1 = needs follow-up, 0 = no follow-up. Comments mark negation / mixed cases.
# ----------------------------------------------------------------------------------------
FOLLOW_UP = [
    "The app {crash_vp} when I {action}.",
    "{Onplat} it {crash_vp} every time I {action}",
    'I wrote "{med} {dose}" and it saved {dose2} instead.',
    "It logged my {med} at {time2} but I took it at {time}.",
    "The {feature} {bug_pred}, please look into it.",
    "My {wearable} stopped syncing {since}.",
    "I was {billing} and nobody answers my emails.",
    "Please add {request}.",
    "Would love {request}, that's the one thing missing.",
    "Can you tell me {privacy_q}? I couldn't find it anywhere.",
    "{stars_low} Keeps crashing {onplat}.",
    "Lost all my {entries} after {event}.",
    "Why is every entry duplicated in my {feature}?",
    "It missed the {symptom} I wrote about this morning.",
    "Way too many notifications, I get {num} reminders for one pill.",
    "the {feature} {be} sooo slow {onplat}",
    "I can't figure out how to {task}, the settings are confusing.",
    "My {wearable} data shows up on the wrong day.",
    "The PDF export is missing my {export_missing}.",
    'I typed "no {symptom} today" and it logged {symptom} as a symptom.',       # negation
    "Reminders don't go off {onplat} when the phone is {mode}.",                  # negation
    "{App_adj} app but {problem_clause}.",                                     # mixed
    "Love the {feature}, hate that {problem_clause}.",                            # mixed
    "{stars_mid} The {feature} {be} {praise_adj} but {problem_clause}.",          # mixed
    "Can't log in {onplat}, it just says {error}.",
    "The {feature} hasn't worked since {event}.",                                 # negation
    "Battery drain is insane with {wearable} sync turned on.",
    "The dose for my {med} keeps changing to {dose} after I edit it.",
    "Subscription problem: I was {billing}. Please refund me.",
    "I don't want my data {privacy_use}. How do I opt out?",                      # negation
    "Feature request: {request}.",
    "HELP my {entries} disappeared!!!",
    "Not happy. {Problem_clause}.",
    "{Med} shows up twice in my medication list.",
    "the {feature} doesnt load {onplat}, just a blank screen",
    "When I write two medicines in one entry it only catches the {med}.",
    "The charts show the wrong units for my {measure}.",
    "Why does the app ask for {permission} access? That makes me uneasy.",
    "Why did you remove the old {feature}? I used it every day.",
    "The export for {person} cut off after {num} pages.",
    "It counted my {med} as taken even though I wrote that I skipped it.",       # negation
    "Been waiting {wait} for support to reply about {issue}.",
    "{Feature} broken again",                                                      # short
    "Great, the {feature} {bug_pred} again.",                                     # mild sarcasm
]
NO_FOLLOW_UP = [
    "{App_adj} app, I use it every day for my {condition}.",
    "Love the {feature}!",
    "{stars_high} {Praise_sent}.",
    "Thanks for fixing the {feature}, all good now.",                             # resolved
    "No crashes since the update, {praise_sent}.",                                # negation
    "Never had a single problem with my {wearable} syncing.",                     # negation
    "{Person} loved the report I exported.",
    'It picked up "{med} {dose} at {time}" perfectly.',
    "Been using it {duration} for my {condition}, {praise_adj}.",
    "The {feature} {be} {praise_adj}.",
    "thx for the app, {praise_sent}",
    "I was going to ask about {question_topic} but found the answer in the help section.",
    "Had an issue with the {feature} last week but support sorted it, thanks!",   # mixed, resolved
    "Works perfectly {onplat}.",
    "Not bad at all, the {feature} {be} really handy.",                           # negation
    "So much easier than my old paper diary for tracking my {condition}.",
    "Just wanted to say thanks to the team, {praise_sent}.",
    "The reminders help me remember my {med} every {daypart}.",
    "Great for tracking {symptom} before my appointments with {person}.",
    "My {condition} log has never been this organised.",
    "Sync with my {wearable} is seamless.",
    "Recommended it to {family} and they love it too.",
    "Can't complain, the {feature} does the job.",                                # negation
    "Logging {symptom} takes seconds, {praise_adj}.",
    "Used the {feature} before seeing {person}, very helpful.",
    "No issues {onplat} so far.",                                                 # negation
    "Five stars, the {feature} {be} exactly what I needed.",
    "I don't usually write reviews but this app is {praise_adj}.",
    "Day {day} of using it for my {condition}, going well.",
    "Everything syncs fine between my {device} and my {device2}.",
    'It understood "{symptom} since {time}" without me fixing anything.',
    "The new {feature} design looks {look_adj}.",
    "{Person} asked what app I use for my {condition}.",
    "Off topic, but {offtopic}.",
    "Was a bit worried about privacy but the policy explains {privacy_q} clearly.",  # resolved
    "Just renewed my {plan}, worth it.",
    "The {feature} and the {feature2} are my favourites.",
    "Nothing to fix here, {praise_sent}.",                                        # negation
    "Had {condition} for years and this is the first tracker I've kept using.",
    "Love seeing my {symptom} over time in the {feature}.",
    "{Praise_short}",                                                              # short
    "Reminder came right on time {onplat}, took my {med}, all good.",
    "I didn't expect the {feature} to be this {adj_simple}.",                     # negation
    "{stars_high} {Family} set it up for me and I use it daily.",
]
TEMPLATES = ([(f"F{i:02d}", 1, t) for i, t in enumerate(FOLLOW_UP, 1)]
             + [(f"N{i:02d}", 0, t) for i, t in enumerate(NO_FOLLOW_UP, 1)])

SLOT = re.compile(r"\{([A-Za-z_]+?)(\d?)\}")

def fill(template, rng):
    """Replace every {slot} with a lexicon value (nested slots are filled too)."""
    chosen = {}

    def pick(m):
        name, num = m.group(1), m.group(2)
        key = name.lower() + num
        if key not in chosen:
            if name.lower() == "be":          # verb agreement with the chosen feature
                chosen[key] = "are" if chosen.get("feature") in PLURAL else "is"
            else:
                value = rng.choice(LEX[name.lower()])
                while num and value == chosen.get(name.lower()):
                    value = rng.choice(LEX[name.lower()])
                chosen[key] = value
        value = chosen[key]
        return value[0].upper() + value[1:] if name[0].isupper() else value

    for _ in range(3):
        template = SLOT.sub(pick, template)
    return template


# ---- style noise: typos, abbreviations, shouting, star ratings, punctuation, lower case ----
ABBREV = [(r"\bplease\b", "pls"), (r"\byou\b", "u"), (r"\bthanks\b", "thx"), (r"\breally\b", "rly"),
          (r"\bbecause\b", "bc"), (r"\bwith\b", "w/"), (r"n't\b", "nt"), (r"\bI'm\b", "im"),
          (r"\bdon't know\b", "dunno"), (r"\btonight\b", "tonite")]
STAR_PREFIX = {1: ["1 star.", "2 stars.", "1 star:", "2/5 -"], 0: ["5 stars.", "5 stars!", "4 stars.", "5/5"]}

def add_typo(text, rng):
    words = text.split(" ")
    spots = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 5]
    if not spots:
        return text
    i = rng.choice(spots)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]      # swap two neighbouring letters
    return " ".join(words)

def stylise(text, label, rng):
    if rng.random() < 0.15:
        text = add_typo(text, rng)
    if rng.random() < 0.15:
        for pattern, short in ABBREV:
            text = re.sub(pattern, short, text, flags=re.I)
    if rng.random() < 0.10:
        words = text.split(" ")
        loud = [i for i, w in enumerate(words) if len(w) >= 4]
        if loud:
            i = rng.choice(loud)
            words[i] = words[i].upper()
        text = " ".join(words)
    if rng.random() < 0.12 and "star" not in text.lower() and "/5" not in text and "/10" not in text:
        text = rng.choice(STAR_PREFIX[label]) + " " + text
    r = rng.random()
    if r < 0.12:
        text = text.rstrip(".!") + "!!"
    elif r < 0.30:
        text = text.rstrip(".")
    if rng.random() < 0.20:
        text = text.lower()
    return clean(text)


# ---- duplicate / near-duplicate machinery ----
def clean(text):
    return " ".join(text.replace("\t", " ").replace("\r", " ").replace("\n", " ").split())

def norm(text):
    return " ".join(text.lower().split())

def grams(text):
    toks = re.findall(r"[a-z0-9']+", text.lower())
    n = min(3, len(toks))               # texts of 1-2 words use one 1- or 2-gram
    return frozenset(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)) if n else frozenset()

def jaccard(a, b):
    return len(a & b) / len(a | b) if a and b else 0.0

class Index:
    """Remembers accepted texts; rejects exact duplicates anywhere and near duplicates
    (3-gram Jaccard >= NEAR_DUP) in a different split."""

    def __init__(self):
        self.keys, self.items, self.by_gram = {}, [], {}

    def clash(self, text, split):
        if norm(text) in self.keys:
            return True
        g = grams(text)
        for j in {j for gram in g for j in self.by_gram.get(gram, ())}:
            other_split, other_grams = self.items[j]
            if other_split != split and jaccard(g, other_grams) >= NEAR_DUP:
                return True
        return False

    def add(self, text, split):
        self.keys[norm(text)] = split
        g = grams(text)
        self.items.append((split, g))
        for gram in g:
            self.by_gram.setdefault(gram, []).append(len(self.items) - 1)

def generate(templates, n, split, rng, index):
    """Alternate labels; walk the templates of each label round-robin; skip exhausted ones."""
    by_label = {lab: [t for t in templates if t[1] == lab] for lab in (0, 1)}
    turn, dead, out, bases = {0: 0, 1: 0}, set(), [], set()
    while len(out) < n:
        label = len(out) % 2
        pool = [t for t in by_label[label] if t[0] not in dead]
        if not pool:
            sys.exit(f"FAIL: {split}: templates for label {label} exhausted at {len(out)} examples")
        tid, _, template = pool[turn[label] % len(pool)]
        turn[label] += 1
        for _ in range(60):
            base = fill(template, rng)
            text = stylise(base, label, rng)
            if norm(base) not in bases and not index.clash(text, split):
                bases.add(norm(base))
                index.add(text, split)
                out.append((text, label, tid))
                break
        else:
            dead.add(tid)
    rng.shuffle(out)
    return out

def read_handwritten(path):
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t", 2)
        if len(parts) != 3 or parts[0] not in ("0", "1") or parts[1] not in KINDS:
            sys.exit(f"FAIL: {path.name} line {n}: expected LABEL<TAB>KIND<TAB>text")
        text, kind = clean(parts[2]), parts[1]
        words = len(text.split())
        if (kind == "short" and not 1 <= words <= 3) or (kind == "long" and not 60 <= words <= 150):
            sys.exit(f"FAIL: {path.name} line {n}: {kind} text has {words} words")
        rows.append((text, int(parts[0]), kind))
    for kind in KINDS[1:]:
        if sum(r[2] == kind for r in rows) < MIN_PER_HARD_KIND:
            sys.exit(f"FAIL: fewer than {MIN_PER_HARD_KIND} test lines of kind {kind}")
    if len(rows) < MIN_TEST:
        sys.exit(f"FAIL: only {len(rows)} hand-written test lines")
    return rows

def verify(splits):
    """Independent brute-force check of the final splits (every cross-split pair); exits on any leak."""
    print("Leakage checks:")
    problems = 0
    for name, rows in splits.items():
        dups = len(rows) - len({norm(r[0]) for r in rows})
        problems += dups
        print(f"  exact duplicates within {name}: {dups}")
    for (a, rows_a), (b, rows_b) in itertools.combinations(splits.items(), 2):
        exact = len({norm(r[0]) for r in rows_a} & {norm(r[0]) for r in rows_b})
        grams_b = [grams(r[0]) for r in rows_b]
        scores = [jaccard(ga, gb) for ga in (grams(r[0]) for r in rows_a) for gb in grams_b]
        near = sum(score >= NEAR_DUP for score in scores)
        problems += exact + near
        print(f"  {a} vs {b}: exact duplicates {exact}, near duplicates (word 3-gram Jaccard >= {NEAR_DUP}) "
              f"{near}, highest Jaccard {max(scores):.3f} over {len(scores):,} pairs")
    if problems:
        sys.exit(f"FAIL: {problems} leakage problems found; nothing written")
    print("  all leakage checks passed")

def write_tsv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\t".join(header) + "\n")
        for row in rows:
            f.write("\t".join(str(x) for x in row) + "\n")

def main():
    rng = random.Random(7)
    test = read_handwritten(HERE / "handwritten_test.txt")
    rng.shuffle(test)
    index = Index()
    for text, _, _ in test:
        if index.clash(text, "test"):
            sys.exit(f"FAIL: duplicate hand-written test line: {text}")
        index.add(text, "test")

    dev_ids = []
    for label in (1, 0):
        ids = [tid for tid, lab, _ in TEMPLATES if lab == label]
        dev_ids += sorted(rng.sample(ids, round(len(ids) * DEV_TEMPLATE_SHARE)))
    train = generate([t for t in TEMPLATES if t[0] not in dev_ids], N_TRAIN, "train", rng, index)
    dev = generate([t for t in TEMPLATES if t[0] in dev_ids], N_DEV, "dev", rng, index)

    print(f"Templates: {len(TEMPLATES)} ({len(FOLLOW_UP)} label 1, {len(NO_FOLLOW_UP)} label 0); "
          f"held out for dev: {len(dev_ids)} -> {' '.join(dev_ids)}")
    total = pos = 0
    for name, rows in (("train", train), ("dev", dev), ("test", test)):
        p = sum(r[1] for r in rows)
        total, pos = total + len(rows), pos + p
        used = f" | templates used: {len({r[2] for r in rows})}" if name != "test" else ""
        print(f"{name:5s}: {len(rows):5d} examples | label 1: {p:4d} | label 0: {len(rows) - p:4d} "
              f"| {100 * p / len(rows):.1f}% positive{used}")
    print(f"total: {total:5d} examples | label 1: {pos:4d} | label 0: {total - pos:4d} "
          f"| {100 * pos / total:.1f}% positive")
    print("Test set by kind (label 1 / label 0 / total):")
    for kind in KINDS:
        rows = [r for r in test if r[2] == kind]
        p = sum(r[1] for r in rows)
        print(f"  {kind:9s} {p:4d} / {len(rows) - p:4d} / {len(rows):4d}")
    verify({"train": train, "dev": dev, "test": test})
    write_tsv(HERE / "train.tsv", ["text", "label"], [(t, l) for t, l, _ in train])
    write_tsv(HERE / "dev.tsv", ["text", "label"], [(t, l) for t, l, _ in dev])
    write_tsv(HERE / "test.tsv", ["text", "label"], [(t, l) for t, l, _ in test])
    write_tsv(HERE / "test_kinds.tsv", ["kind", "label", "text"], [(k, l, t) for t, l, k in test])

if __name__ == "__main__":
    main()
