#!/usr/bin/env python3
"""make_corpus.py -- builds the "Lab to Launch" health-log NER corpus.

  train.conll, dev.conll : generated from the TEMPLATES and lexicons below
                           (seeded with random.Random(13), so fully deterministic)
  test.conll             : parsed from handwritten_test.txt (written by hand, no templates)

Run from any directory:   python3 make_corpus.py
Standard library only. Markup used everywhere: [entity text|TYPE], e.g. [400 mg|DOSAGE].
"""
import os
import random
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 13
TRAIN_SENTENCES, DEV_SENTENCES = 1260, 270          # targets (a document may overshoot by <= 3)
TYPES = ["SYMPTOM", "BODY_PART", "MEDICATION", "DOSAGE", "TIME"]
ALLOWED_TAGS = {"O"} | {p + "-" + t for t in TYPES for p in ("B", "I")}
TOKEN_RE = re.compile(r"\w+(?:[-'’.:/]\w+)*|[^\w\s]")   # must match the course's prediction code
MARK_RE = re.compile(r"\[([^\[\]|]+)\|([A-Z_]+)\]")       # [entity text|TYPE]
SLOT_RE = re.compile(r"\{([A-Z]+)(\d?)\}")                 # {SLOT} or {SLOT2} inside a template

# --------------------------------------------------------------------------- 1. lexicons
# Medications are grouped by form so that a dose fits its drug ("2 puffs" goes with an inhaler).
MEDS = {
    "tablet": ["ibuprofen", "paracetamol", "acetaminophen", "aspirin", "naproxen", "Advil", "Tylenol",
               "Nurofen", "Panadol", "Aleve", "Motrin", "codeine", "co-codamol", "tramadol", "cetirizine",
               "Zyrtec", "loratadine", "Claritin", "fexofenadine", "Allegra", "Benadryl", "diphenhydramine",
               "omeprazole", "Prilosec", "lansoprazole", "famotidine", "Pepcid", "loperamide", "Imodium",
               "sumatriptan", "Imitrex", "rizatriptan", "amoxicillin", "Augmentin", "azithromycin",
               "doxycycline", "prednisolone", "prednisone", "sertraline", "Zoloft", "citalopram",
               "fluoxetine", "melatonin", "magnesium", "vitamin D", "propranolol", "amitriptyline",
               "gabapentin", "Excedrin", "Sudafed", "pseudoephedrine", "Dramamine", "Buscopan", "Tylenol PM",
               "Tums", "Rennie", "metformin", "Strepsils", "antihistamines", "antibiotics", "painkillers",
               "pain killers", "ibuprofin", "ibuprophen", "paracetemol", "tylenal", "asprin", "amoxicilin",
               "omeprazol", "benadril", "cetirizene", "sertaline", "immodium", "naproxin"],
    "liquid": ["cough syrup", "Calpol", "Gaviscon", "Pepto-Bismol", "Lemsip", "Benylin", "Dioralyte"],
    "inhaler": ["salbutamol", "albuterol", "Ventolin", "inhaler", "blue inhaler", "nasal spray", "Flonase"],
    "topical": ["Voltaren gel", "hydrocortisone cream", "diclofenac gel", "ibuprofen gel", "aciclovir cream"],
    "drops": ["eye drops", "ear drops"],
}
DOSES = {
    "tablet": ["400 mg", "400mg", "200 mg", "200mg", "500mg", "500 mg", "1 g", "1g", "2 tablets",
               "two tablets", "a tablet", "one pill", "half a pill", "2 pills", "1 capsule", "two capsules",
               "20mg", "50 mg", "10mg", "1000 mg", "600mg", "0.5 mg", "25mcg", "2 caplets", "half a tablet",
               "one and a half tablets", "2 x 500mg", "a couple of tablets", "30 mg", "100mg", "5 mg", "3 tabs"],
    "liquid": ["5ml", "10 ml", "15 ml", "a teaspoon", "2 teaspoons", "1 sachet", "a capful", "20ml", "10ml"],
    "inhaler": ["two puffs", "2 puffs", "1 puff", "a puff", "two sprays", "2 sprays", "4 puffs", "1 spray"],
    "topical": ["a thin layer", "a pea-sized amount", "a small amount", "a dab"],
    "drops": ["3 drops", "2 drops", "one drop", "two drops"],
}
FORM_OF = {med: form for form, meds in MEDS.items() for med in meds}

LEXICON = {  # slot name -> (entity type, or None for plain filler text, list of values)
    "SYM": ("SYMPTOM", [  # symptoms that stand on their own
        "headache", "migraine", "throbbing headache", "tension headache", "mild headache", "severe headache",
        "nausea", "dizziness", "fever", "high temperature", "chills", "sore throat", "runny nose",
        "blocked nose", "stuffy nose", "cough", "dry cough", "chesty cough", "shortness of breath",
        "wheezing", "chest pain", "chest tightness", "back pain", "lower back pain", "stomach ache",
        "stomach cramps", "heartburn", "heart burn", "acid reflux", "indigestion", "bloating", "diarrhea",
        "diarrhoea", "constipation", "vomiting", "fatigue", "tiredness", "insomnia", "trouble sleeping",
        "night sweats", "hives", "joint pain", "muscle aches", "blurred vision", "palpitations",
        "racing heart", "light-headedness", "anxiety", "low mood", "brain fog", "loss of appetite",
        "toothache", "earache", "period pain", "hot flushes", "cold sweats", "sneezing", "watery eyes",
        "itchy eyes", "dry mouth", "sinus pressure", "jaw pain", "neck stiffness", "nosebleed", "tinnitus",
        "cold", "flu", "stomach bug", "sore muscles", "headach", "diarrea", "nausia", "dizzyness"]),
    "LOCSYM": ("SYMPTOM", [  # symptoms that take a location ("... in my left knee")
        "pain", "sharp pain", "dull ache", "stabbing pain", "burning sensation", "numbness", "tingling",
        "pins and needles", "swelling", "stiffness", "cramps", "cramping", "itching", "rash", "aching",
        "soreness", "tenderness", "weakness", "muscle spasms", "twinges", "throbbing", "shooting pain",
        "bruising", "redness"]),
    "SYMADJ": ("SYMPTOM", ["dizzy", "nauseous", "sick", "bloated", "exhausted", "tired", "feverish", "achy",
                           "shaky", "light-headed", "queasy", "run down", "wiped out", "sweaty", "faint",
                           "drowsy", "groggy", "breathless", "congested", "wheezy", "shivery", "anxious",
                           "jittery"]),
    "BPADJ": ("SYMPTOM", ["sore", "swollen", "stiff", "numb", "tender", "itchy", "red", "bruised", "puffy",
                          "tingly", "weak", "achy", "hot", "painful", "inflamed", "throbbing"]),
    "SYMVERB": ("SYMPTOM", ["hurts", "aches", "burns", "itches", "throbs", "stings", "twinges", "tingles",
                            "cramps"]),
    "SYMVP": ("SYMPTOM", ["couldn't sleep", "couldnt sleep", "threw up", "passed out", "barely slept",
                          "tossed and turned", "fainted"]),
    "BP": ("BODY_PART", [
        "head", "left eye", "right eye", "forehead", "left temple", "jaw", "neck", "throat", "chest",
        "upper back", "lower back", "back", "left shoulder", "right shoulder", "left arm", "right arm",
        "elbow", "left elbow", "wrist", "right wrist", "left hand", "right hand", "stomach", "belly",
        "tummy", "abdomen", "lower abdomen", "right hip", "left hip", "left knee", "right knee", "ankle",
        "left ankle", "right ankle", "right foot", "left foot", "heel", "left heel", "calf", "left calf",
        "thigh", "right thigh", "left ear", "right ear", "scalp", "spine", "tailbone", "bladder", "lower jaw",
        "upper arm"]),
    "BPS": ("BODY_PART", ["eyes", "temples", "shoulders", "hips", "knees", "feet", "ears", "hands", "legs",
                          "wrists", "ankles", "arms", "elbows", "calves"]),           # pairs ("both ...")
    "BPPL": ("BODY_PART", ["fingers", "toes", "sinuses", "teeth", "gums", "ribs", "joints", "lips"]),
    "MED": ("MEDICATION", [m for meds in MEDS.values() for m in meds]),
    "MEDTOP": ("MEDICATION", MEDS["topical"]),
    "DOSE": ("DOSAGE", [d for doses in DOSES.values() for d in doses]),
    "TPT": ("TIME", ["Tuesday", "Monday", "yesterday", "last night", "this morning", "the weekend",
                     "Friday night", "lunch", "3am", "breakfast", "yesterday afternoon", "Sunday", "last week",
                     "Wednesday evening", "the day before yesterday", "this afternoon", "2pm", "dinner",
                     "last Thursday", "the 3rd"]),                                     # after "since"
    "TDUR": ("TIME", ["3 days", "a week", "two weeks", "the past few days", "48 hours", "an hour",
                      "20 minutes", "a couple of days", "months", "the last 3 nights", "2 hours", "ten days",
                      "a fortnight", "half an hour", "5 days", "the whole day", "six weeks",
                      "the past 24 hours", "a few hours", "2 weeks"]),                 # after "for"
    "TCLK": ("TIME", ["8pm", "8:30am", "7 am", "noon", "midnight", "bedtime", "3am", "11pm", "6:15", "10 pm",
                      "9am", "half 7", "lunchtime", "4:30pm", "2 in the morning"]),    # after "at"
    "TFREQ": ("TIME", ["twice a day", "3 times a day", "once daily", "every 4 hours", "every 6 hours",
                       "every 4-6 hours", "every morning", "every night", "twice", "once", "three times",
                       "on and off", "all day", "all night", "every few hours", "2x a day", "once a week",
                       "most nights", "every other day", "three times daily", "daily", "4 times a day",
                       "every 8 hrs", "nightly", "twice daily", "morning and night"]),
    "TREL": ("TIME", ["this morning", "last night", "yesterday", "today", "tonight", "yesterday evening",
                      "2 days ago", "an hour ago", "a few minutes ago", "earlier today", "this afternoon",
                      "this evening", "last week", "overnight", "first thing", "three days ago", "this week"]),
    "TMEAL": ("TIME", ["lunch", "dinner", "breakfast", "meals", "supper"]),            # after "after/before"
    # plain filler text (tagged O)
    "INT": (None, ["really", "so", "super", "pretty", "kinda", "very", "a bit", "quite", "REALLY", "SO"]),
    "FEEL": (None, ["a bit better", "worse", "about the same", "much better", "no different",
                    "loads better", "slightly better", "rough", "okay-ish", "meh"]),
    "ACT": (None, ["went for a walk", "worked from home", "skipped the gym", "had a big coffee",
                   "did some yoga", "went to work anyway", "cancelled plans", "had a long bath", "made soup",
                   "walked the dog", "watched tv", "cleaned the flat", "went to the shops",
                   "worked a double shift", "played football", "did a 5k run", "sat at my desk",
                   "took the kids to school", "caught up on emails", "had friends over", "went swimming",
                   "did the food shop", "tried to rest", "read in bed"]),
    "WHO": (None, ["my GP", "the pharmacist", "my partner", "mum", "the nurse", "my sister", "the doctor",
                   "my physio", "my flatmate", "the 111 nurse", "my boss", "dad"]),
    "CAUSE": (None, ["the new job", "my diet", "the weather", "stress", "the heat", "not drinking enough water",
                     "the new mattress", "too much coffee", "the long drive", "my new shoes", "the gym",
                     "poor sleep", "screen time", "the pollen", "travel"]),
    "OPEN": (None, ["ok so", "update:", "hi,", "ugh,", "so", "note:", "quick one:", "right,", "well,", "hmm,", ""]),
    "MOVE": (None, ["walk", "bend down", "climb stairs", "stand up", "run", "sit for too long", "lie down",
                    "get out of bed", "lift anything", "go up hills"]),
    "PLACE": (None, ["at work", "on the bus", "in the car", "at the gym", "in a meeting", "at the supermarket",
                     "out running", "at my desk", "on a train", "cooking"]),
    "LEVEL": (None, ["2", "3", "4", "5", "6", "7"]),
}

# --------------------------------------------------------------------------- 2. templates
# Roles: "report" = describing symptoms, "med" = medication taken, "follow" = follow-up/negation,
# "none" = no entity. Templates whose index within their role satisfies i % 7 == 3 are held out for dev.
TEMPLATES = {
    "report": [
        "{SYM} since {TPT}.",
        "woke up with {SYM} {TREL}",
        "{LOCSYM} in my {BP} since {TPT}, not getting any better",
        "My {BP} has been {BPADJ} for {TDUR}.",
        "{SYMVP} {TREL} because of the {SYM}",
        "{SYM}, {SYM2} and {SYM3} since {TPT}.",
        "{TREL} I had {SYM} and {SYM2}.",
        "Feeling {SYMADJ} and {SYMADJ2} {TREL}.",
        "{SYM} {TFREQ} for {TDUR} now",
        "[Pain|SYMPTOM] in my {BP} when I {MOVE}, started {TREL}.",
        "my {BP} {SYMVERB} {TFREQ}",
        "{SYM} worse {TREL}, especially after {TMEAL}",
        "{SYM} started {TREL} and hasn't stopped",
        "got {SYM} {TREL} while I was {PLACE}.",
        "Bit of {SYM} {TREL}, nothing major.",
        "{SYM} keeps coming back {TFREQ}.",
        "why do I get {SYM} {TFREQ}?",
        "{LOCSYM} around my {BP} for about {TDUR}",
        "{SYM} + {SYM2} {TREL}",
        "Still {SYMADJ} after {TDUR}.",
        "{TREL}: {SYM} (not too bad), {SYM2} (worse).",
        "{LOCSYM} in both {BPS} {TREL}",
        "had {SYM} [ALL NIGHT|TIME] and {SYM2} [ALL DAY|TIME]!!",
        "my {BP} is {BPADJ} and {BPADJ2}",
        "{SYM} for {TDUR}, getting worse",
        "{INT} {SYMADJ} {TREL}, had to sit down",
        "[sharp pain|SYMPTOM] in my {BP} [on and off|TIME] since {TPT}",
        "{BP} and {BP2} both {BPADJ} since {TPT}",
        "Anyone else get {SYM} with {SYM2}?",
        "{SYMVP} {TREL}, then {SYM} {TREL2}",
        "{BP} {SYMVERB} when I {MOVE}",
        "{SYM} {TREL}, now {LOCSYM} in my {BP} too",
        "my {BPPL} feel {BPADJ} {TREL}",
    ],
    "med": [
        "took {DOSE} {MED} at {TCLK}.",
        "Took {DOSE} of {MED} {TREL} for the {SYM}.",
        "{MED} {DOSE} {TFREQ}",
        "had {DOSE} {MED} {TFREQ} for {TDUR}",
        "taking {MED} {TFREQ} since {TPT}",
        "{DOSE} {MED} around {TCLK}, didn't help much",
        "gave up on {MED}, switched to {MED2} {TREL}",
        "doctor put me on {DOSE} {MED} {TFREQ}",
        "the {MED} isn't touching the {SYM}",
        "used {DOSE} of {MED} {TREL}",
        "Forgot my {MED} {TREL}, took it at {TCLK} instead.",
        "{MED} {TFREQ} with food",
        "took {MED} for my {SYM} and it helped within {TDUR}",
        "{DOSE} {MED} + {DOSE2} {MED2} {TREL}",
        "can I take {MED} with {MED2}?",
        "ran out of {MED} so had {MED2} instead",
        "{MED} makes me {SYMADJ}",
        "box says max {DOSE} {TFREQ}",
        "pharmacist said {DOSE} {MED} {TFREQ}",
        "{TREL} took {DOSE} {MED}, the {SYM} eased after {TDUR}",
        "rubbed {MEDTOP} on my {BP} {TFREQ}",
        "{MED} {DOSE} at {TCLK} and again at {TCLK2}",
        "started {MED} {TREL}, {DOSE} {TFREQ}",
        "{DOSE} {MED} before {TMEAL} {TFREQ}",
        "Is {DOSE} of {MED} too much for {SYM}?",
    ],
    "follow": [
        "no {SYM} {TREL}.",
        "didn't have any {SYM} or {SYM2} {TREL}",
        "{SYM} is gone but still {SYMADJ}",
        "denies {SYM}, {SYM2} better since {TPT}",
        "{SYM} much better after the {MED}",
        "Still no {SYM}, {SYM2} only {TFREQ} now",
        "feeling {FEEL} {TREL}, {SYM} has eased",
        "is it bad that I still have {SYM} after {TDUR}?",
        "{SYM} came back {TREL}.",
        "not {SYMADJ} anymore, just {SYM}",
        "Pt reports {SYM} x {TDUR}, no {SYM2}.",
        "{SYM} gone, {BP} still {BPADJ}",
        "should I be worried about {SYM} that lasts {TDUR}?",
        "without {MED} the {SYM} comes back within {TDUR}",
        "{SYM} down to a {LEVEL}/10 {TREL}",
        "No {SYM}, no {SYM2}, just {INT} {SYMADJ}.",
        "{SYM} NOT as bad {TREL}, {FEEL} overall",
    ],
    "none": [
        "{OPEN} {ACT}.",
        "{WHO} said to keep an eye on it.",
        "Will ask {WHO} about it.",
        "{OPEN} not sure if this is related to {CAUSE}.",
        "{WHO} thinks it's {CAUSE}.",
        "booked an appointment with {WHO}.",
        "{ACT} and {ACT2}, nothing else to report.",
        "{OPEN} feeling {FEEL} overall.",
        "Reminder to mention {CAUSE} to {WHO}.",
    ],
}
ABBREVIATIONS = [("about", "abt"), ("with", "w/"), ("hours", "hrs"), ("because", "b/c"), ("minutes", "mins"),
                 ("really", "rly"), ("you", "u"), ("tonight", "tonite"), ("and", "&"), ("before", "b4")]


# --------------------------------------------------------------------------- 3. text -> tokens + IOB2 tags
def tokenize(text):
    return TOKEN_RE.findall(text)


def parse_markup(line):
    """'took [2 puffs|DOSAGE] at [8pm|TIME]' -> [('took ', None), ('2 puffs', 'DOSAGE'), ...]"""
    segments, pos = [], 0
    for m in MARK_RE.finditer(line):
        segments.append((line[pos:m.start()], None))
        segments.append((m.group(1), m.group(2)))
        pos = m.end()
    segments.append((line[pos:], None))
    for text, typ in segments:
        if typ is None and any(c in text for c in "[]|"):
            raise ValueError(f"stray markup character in {line!r}")
        if typ is not None and (typ not in TYPES or text != text.strip() or not text):
            raise ValueError(f"bad entity [{text}|{typ}] in {line!r}")
    return [(t, typ) for t, typ in segments if t]


def to_iob2(segments):
    """Join the segments, tokenise the text, and give every token its IOB2 tag."""
    text, spans = "", []
    for seg, typ in segments:
        if typ:
            spans.append((len(text), len(text) + len(seg), typ))
        text += seg
    tokens, tags = [], []
    for m in TOKEN_RE.finditer(text):
        tag = "O"
        for start, end, typ in spans:
            if m.start() < end and m.end() > start:          # token overlaps the entity
                if m.start() < start or m.end() > end:
                    raise ValueError(f"entity boundary falls inside token {m.group()!r} in {text!r}")
                tag = ("B-" if m.start() == start else "I-") + typ
        tokens.append(m.group())
        tags.append(tag)
    if sum(t.startswith("B-") for t in tags) != len(spans):
        raise ValueError(f"an entity does not start on a token in {text!r}")
    return tokens, tags


# --------------------------------------------------------------------------- 4. generating train/dev
def fill(template, rng, case):
    """Replace each {SLOT} by a lexicon value; entity values become [value|TYPE] markup."""
    slots = SLOT_RE.findall(template)
    # choose medications first, so that DOSEk can be drawn from the form of MEDk
    order = sorted(range(len(slots)), key=lambda i: slots[i][0] not in ("MED", "MEDTOP"))
    chosen, used = {}, {}
    for i in order:
        name, k = slots[i]
        values = LEXICON[name][1]
        if name == "DOSE":
            med = chosen.get(("MED", k)) or chosen.get(("MEDTOP", k))
            if med:
                values = DOSES[FORM_OF[med]]
        taken = used.setdefault(name, [])
        if not k and case.get(name) in values and case[name] not in taken and rng.random() < 0.5:
            value = case[name]                     # re-use the document's running symptom/drug/...
        else:
            value = rng.choice([v for v in values if v not in taken])
        taken.append(value)
        chosen[(name, k)] = value

    def substitute(m):
        value, typ = chosen[(m.group(1), m.group(2))], LEXICON[m.group(1)][0]
        return f"[{value}|{typ}]" if typ else value
    return " ".join(SLOT_RE.sub(substitute, template).split())


def stylize(segments, rng):
    """Add real-user noise: abbreviations, a letter swap, lower-case line, ALL-CAPS entity, no final period."""
    segs = [[text, typ] for text, typ in segments]
    if rng.random() < 0.35:
        for full, short in ABBREVIATIONS:
            if rng.random() < 0.5:
                for s in segs:
                    s[0] = re.sub(rf"\b{full}\b", short, s[0], flags=re.IGNORECASE)
    if rng.random() < 0.12:                        # typo: swap two letters inside a plain (O) word
        spots = [(i, m.start()) for i, s in enumerate(segs) if s[1] is None
                 for m in re.finditer(r"[a-z]{5,}", s[0])]
        if spots:
            i, p = rng.choice(spots)
            j, t = p + rng.randrange(1, 3), segs[i][0]
            segs[i][0] = t[:j] + t[j + 1] + t[j] + t[j + 2:]
    if rng.random() < 0.2:
        segs = [[t.lower(), typ] for t, typ in segs]
    elif rng.random() < 0.5:
        segs[0][0] = segs[0][0][:1].upper() + segs[0][0][1:]
    entity_ids = [i for i, s in enumerate(segs) if s[1]]
    if entity_ids and rng.random() < 0.08:
        i = rng.choice(entity_ids)
        segs[i][0] = segs[i][0].upper()
    if segs[-1][1] is None and segs[-1][0].endswith(".") and rng.random() < 0.3:
        segs[-1][0] = segs[-1][0][:-1]
    return [(t, typ) for t, typ in segs if t]


def pick_role(position, rng):
    if position == 0:
        return rng.choices(["report", "med", "none"], [74, 20, 6])[0]
    return rng.choices(["report", "med", "follow", "none"], [31, 33, 27, 9])[0]


def generate(templates, target, rng, seen, accept):
    """Build documents (1-4 sentences sharing a 'case') until `target` sentences exist."""
    docs, count = [], 0
    while count < target:
        case = {name: rng.choice(vals) for name, (typ, vals) in LEXICON.items() if typ}
        case["DOSE"] = rng.choice(DOSES[FORM_OF[case["MED"]]])
        doc, used_templates = [], []
        for position in range(rng.choices([1, 2, 3, 4], [3, 4, 3, 1])[0]):
            for _attempt in range(100):
                template = rng.choice(templates[pick_role(position, rng)])
                if template in used_templates:     # no template twice in one document
                    continue
                tokens, tags = to_iob2(stylize(parse_markup(fill(template, rng, case)), rng))
                key = tuple(t.lower() for t in tokens)
                if key not in seen and accept(tokens, tags):
                    seen.add(key)
                    used_templates.append(template)
                    doc.append((tokens, tags))
                    break
        if doc:
            docs.append(doc)
            count += len(doc)
    return docs


# --------------------------------------------------------------------------- 5. overlap checks
def trigrams(tokens):
    t = [x.lower() for x in tokens]
    return {tuple(t[i:i + 3]) for i in range(len(t) - 2)} or {tuple(t)}


def delexicalise(tokens, tags):
    """('took', DOSAGE, MEDICATION) form plus the entity strings -- same key == same sentence content."""
    form, entities = [], []
    for tok, tag in zip(tokens, tags):
        if tag.startswith("B-"):
            form.append(tag[2:])
            entities.append(tok.lower())
        elif tag.startswith("I-"):
            entities[-1] += " " + tok.lower()
        else:
            form.append(tok.lower())
    return tuple(form), tuple(entities)


class NearDupIndex:
    """Finds sentences whose word-3-gram Jaccard similarity with a query is >= threshold."""
    def __init__(self, token_lists):
        self.grams = [trigrams(t) for t in token_lists]
        self.index = {}
        for j, grams in enumerate(self.grams):
            for g in grams:
                self.index.setdefault(g, []).append(j)

    def matches(self, tokens, threshold=0.8):
        q = trigrams(tokens)
        candidates = sorted({j for g in q for j in self.index.get(g, ())})
        return [(j, len(q & self.grams[j]) / len(q | self.grams[j])) for j in candidates
                if len(q & self.grams[j]) / len(q | self.grams[j]) >= threshold]


# --------------------------------------------------------------------------- 6. reading, validating, writing
def read_handwritten(path):
    """One document per blank-line-separated block, one sentence per line; '#' lines are comments."""
    docs, doc = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if line.startswith("#"):
                continue
            if not line:
                if doc:
                    docs.append(doc)
                doc = []
                continue
            try:
                doc.append(to_iob2(parse_markup(line)))
            except ValueError as e:
                sys.exit(f"{path}:{n}: {e}")
    if doc:
        docs.append(doc)
    return docs


def validate(name, docs):
    for doc in docs:
        if not 1 <= len(doc) <= 4:
            sys.exit(f"{name}: document with {len(doc)} sentences")
        for tokens, tags in doc:
            if not tokens or len(tokens) != len(tags):
                sys.exit(f"{name}: empty or misaligned sentence")
            prev = "O"
            for tok, tag in zip(tokens, tags):
                if tag not in ALLOWED_TAGS:
                    sys.exit(f"{name}: unknown tag {tag}")
                if not tok or any(c.isspace() for c in tok):
                    sys.exit(f"{name}: bad token {tok!r}")
                if tag.startswith("I-") and prev[2:] != tag[2:]:
                    sys.exit(f"{name}: invalid IOB2 {prev} -> {tag} in {' '.join(tokens)}")
                prev = tag


def write_conll(path, docs):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for doc in docs:
            f.write("-DOCSTART- O\n\n")
            for tokens, tags in doc:
                f.write("".join(f"{tok} {tag}\n" for tok, tag in zip(tokens, tags)) + "\n")


def stats(docs):
    sents = [s for doc in docs for s in doc]
    ents = Counter(tag[2:] for _, tags in sents for tag in tags if tag.startswith("B-"))
    row = {"documents": len(docs), "sentences": len(sents), "tokens": sum(len(t) for t, _ in sents),
           "no-entity sents": sum(all(t == "O" for t in tags) for _, tags in sents)}
    row.update({t: ents[t] for t in TYPES})
    row["all entities"] = sum(ents.values())
    return row


def print_stats(splits):
    table = {name: stats(docs) for name, docs in splits.items()}
    print(f"{'':16}" + "".join(f"{name:>9}" for name in table))
    for key in next(iter(table.values())):
        print(f"{key:16}" + "".join(f"{row[key]:>9}" for row in table.values()))


# --------------------------------------------------------------------------- 7. main
def main():
    rng = random.Random(SEED)
    train_tpl = {r: [t for i, t in enumerate(ts) if i % 7 != 3] for r, ts in TEMPLATES.items()}
    dev_tpl = {r: [t for i, t in enumerate(ts) if i % 7 == 3] for r, ts in TEMPLATES.items()}
    seen = set()                                   # lower-cased token sequences already used
    train = generate(train_tpl, TRAIN_SENTENCES, rng, seen, lambda tokens, tags: True)
    train_sents = [s for doc in train for s in doc]
    train_index = NearDupIndex([t for t, _ in train_sents])
    train_delex = {delexicalise(*s) for s in train_sents}
    dev = generate(dev_tpl, DEV_SENTENCES, rng, seen,
                   lambda tokens, tags: delexicalise(tokens, tags) not in train_delex
                   and not train_index.matches(tokens))
    test = read_handwritten(os.path.join(HERE, "handwritten_test.txt"))
    with open(os.path.join(HERE, "raw_pool.txt"), encoding="utf-8") as f:
        raw = [tokenize(line) for line in f if line.strip()]

    # ---- overlap checks (fail loudly) ----
    splits = {"train": train, "dev": dev, "test": test}
    sents = {name: [s for doc in docs for s in doc] for name, docs in splits.items()}
    problems = []
    owner = {}
    for name, ss in list(sents.items()) + [("raw_pool", [(t, None) for t in raw])]:
        for tokens, _ in ss:
            key = tuple(t.lower() for t in tokens)
            if key in owner:
                problems.append(f"exact duplicate ({owner[key]} / {name}): {' '.join(tokens)}")
            owner[key] = name
    labelled_tokens = [t for name in ("train", "dev") for t, _ in sents[name]]
    index = NearDupIndex(labelled_tokens)
    for tokens, _ in sents["test"]:
        for j, sim in index.matches(tokens):
            problems.append(f"test~train/dev J={sim:.2f}: {' '.join(tokens)} || {' '.join(labelled_tokens[j])}")
    dev_near = sum(bool(train_index.matches(t)) for t, _ in sents["dev"])
    dev_delex = sum(delexicalise(*s) in train_delex for s in sents["dev"])
    all_labelled = labelled_tokens + [t for t, _ in sents["test"]]
    full_index = NearDupIndex(all_labelled)
    raw_index = NearDupIndex(raw)
    for i, tokens in enumerate(raw):
        for j, sim in full_index.matches(tokens):
            problems.append(f"raw~labelled J={sim:.2f}: {' '.join(tokens)} || {' '.join(all_labelled[j])}")
        for j, sim in raw_index.matches(tokens):
            if j > i:
                problems.append(f"raw~raw J={sim:.2f}: {' '.join(tokens)} || {' '.join(raw[j])}")
    print("Overlap checks (exact = lower-cased token sequence; near = word-3-gram Jaccard >= 0.8):")
    print(f"  exact duplicates within/across train, dev, test, raw_pool : {sum(p.startswith('exact') for p in problems)}")
    print(f"  test vs train/dev near-duplicates                        : {sum(p.startswith('test~') for p in problems)}")
    print(f"  dev vs train near-duplicates / same delexicalised+entities: {dev_near} / {dev_delex}")
    print(f"  raw_pool vs labelled / within raw_pool near-duplicates   : "
          f"{sum(p.startswith('raw~l') for p in problems)} / {sum(p.startswith('raw~r') for p in problems)}")
    if problems or dev_near or dev_delex:
        print("\n".join(problems[:50]))
        sys.exit("FAILED: overlap check")

    for name, docs in splits.items():
        validate(name, docs)
        write_conll(os.path.join(HERE, f"{name}.conll"), docs)
    print("Validation: tags in allowed set, IOB2 valid, no empty sentences, no whitespace in tokens: OK")
    print(f"Templates: {sum(map(len, TEMPLATES.values()))} "
          f"({sum(map(len, train_tpl.values()))} train, {sum(map(len, dev_tpl.values()))} dev held-out); "
          f"hand-written test sentences: {len(sents['test'])}; raw_pool sentences: {len(raw)}")
    print(f"Lexicon sizes: symptoms {sum(len(LEXICON[k][1]) for k in ('SYM', 'LOCSYM', 'SYMADJ', 'BPADJ', 'SYMVERB', 'SYMVP'))}, "
          f"body parts {sum(len(LEXICON[k][1]) for k in ('BP', 'BPS', 'BPPL'))}, medications {len(LEXICON['MED'][1])}, "
          f"doses {len(LEXICON['DOSE'][1])}, time expressions "
          f"{sum(len(LEXICON[k][1]) for k in ('TPT', 'TDUR', 'TCLK', 'TFREQ', 'TREL', 'TMEAL'))}")
    print_stats(splits)


if __name__ == "__main__":
    main()
