#!/usr/bin/env python3
"""Build the "does this app feedback need product follow-up?" corpus (Lab to Launch).

test.tsv, test_kinds.tsv <- handwritten_test.txt   (hand-written, each line tagged with a KIND)
dev.tsv,  dev_kinds.tsv  <- handwritten_dev.txt    (hand-written, same format and kind mix)
train.tsv <- handwritten_train.txt (all of it) + one light paraphrase per hand-written training
             text where a swappable word is found + texts from the templates and slot lexicons
             below, up to N_TRAIN texts, labels balanced, order interleaved so any prefix mixes
             every source and both labels.
Label 1 = needs follow-up (bug, crash, wrong/missed extraction, confusing screen, feature request,
privacy worry, billing, sync failure, accessibility barrier, complaint). Label 0 = praise, thanks,
neutral/off-topic, self-answered questions, problems the writer says are already solved.
Run: python3 make_corpus.py   (Python 3.11 standard library only; deterministic, seed 7;
independent of PYTHONHASHSEED). Every leakage check runs before anything is written.
"""
import itertools
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
N_TRAIN = 2000                 # train size in total (hand-written + paraphrases + templates)
MIN_TEMPLATE_TEXTS = 400       # fail if the hand-written texts leave less room than this
NEAR_DUP = 0.8                 # word 3-gram Jaccard at or above this = near duplicate
KINDS = ["plain", "negation", "sarcasm", "mixed", "short", "long"]
MIN_PER_HARD_KIND, MIN_EVAL = 40, 300    # for each hand-written evaluation file (dev, test)
PREFIX = 400                   # the smoke profile trains on the first 400 rows of train.tsv

# ----------------------------------------------------------------------------------------
# Slot lexicons. A slot is written {name}; {Name} capitalises the value; {name2} (any digit)
# draws a value that differs from every other value of that lexicon already in the text.
# Lexicon entries may contain slots themselves (filled up to FILL_DEPTH levels deep).
# ----------------------------------------------------------------------------------------
# Each lexicon is one "|"-separated string, split into a list below.
LEX_TEXT = {
    "feature": "weekly summary|daily summary|reminders|medication reminders|PDF export|doctor export|CSV export|"
               "charts|symptom charts|trend chart|sleep chart|medication list|symptom tracker|wearable sync|"
               "watch sync|dark mode|home screen widget|widget|login|subscription page|search|calendar view|"
               "mood log|dose history|timeline|daily check-in|family profiles|settings screen|share button|"
               "blood pressure log|onboarding|notes field|report for my doctor|pill reminders|voice input|backup|"
               "monthly report|lock screen widget|quick log button|insights tab|heart rate chart|meal log|"
               "water log|appointment notes|carer access|allergy list|emergency card|symptom photos|app lock|"
               "Face ID login|period tracker|lab results page|step count card|refill reminders|streaks|"
               "medication import|offline mode|text size setting|pain scale|mood chart|help centre",
    "onplat": "on my iPhone|on Android|on my iPad|on my Android tablet|on the web version|on my Pixel|on my Samsung|"
              "on the web app in Firefox|on my old iPhone SE|on my Chromebook|on the tablet|in Safari on my Mac|"
              "on my Motorola|on my Fire tablet|on the work PC|on my OnePlus|on my Huawei|on Android 14|"
              "on iOS 17|in Chrome on Windows|on my Xiaomi|on my Galaxy Fold|on my new phone|on the iPad mini",
    "device": "iPhone|Android phone|iPad|tablet|Pixel|Samsung|Chromebook|laptop|work computer|Galaxy Tab|"
              "OnePlus|Mac|Surface|Huawei phone",
    "wearable": "Fitbit|Apple Watch|Garmin|Oura ring|Galaxy Watch|Withings scale|Omron cuff|Pixel Watch|Whoop strap|"
                "smart scale|glucose sensor|Polar watch|Amazfit band|Apple Health|Google Fit|Health Connect|"
                "Dexcom sensor|FreeStyle Libre|Huawei Watch|Mi Band|Samsung Health|Coros watch|Withings watch|"
                "Fitbit Charge|Garmin Venu|blood pressure cuff|pulse oximeter|sleep tracker",
    "med": "ibuprofen|paracetamol|metformin|lisinopril|sertraline|amoxicillin|levothyroxine|atorvastatin|omeprazole|"
           "prednisolone|amlodipine|cetirizine|aspirin|vitamin D|iron tablets|magnesium|melatonin|salbutamol|"
           "naproxen|insulin|warfarin|propranolol|folic acid|codeine|gabapentin|citalopram|ramipril|"
           "lansoprazole|methotrexate|B12 injections|fluoxetine|bisoprolol|montelukast|sumatriptan|"
           "hydroxychloroquine|losartan",
    "dose": "200mg|400 mg|5mg|10 mg|20mg|25 mg|50mcg|100 mcg|500mg|1 tablet|2 tablets|half a tablet|two puffs|"
            "1000 IU|15 ml|1g|0.5 mg|3 capsules|one capsule|8 units|12 units|75mg|2.5 mg|one drop",
    "time": "8am|7:30|noon|lunchtime|9 pm|bedtime|11:15|after breakfast|around 6|10 in the morning|midnight|2pm|"
            "6:45am|dinner time|half past eight|5pm|first thing|quarter to ten",
    "symptom": "headache|migraine|nausea|dizziness|back pain|fatigue|chest tightness|cough|rash|insomnia|joint pain|"
               "stomach cramps|anxiety|brain fog|sore throat|fever|palpitations|heartburn|shortness of breath|"
               "itching|knee pain|bloating|hot flushes|tinnitus|numbness|low mood|neck pain|hay fever",
    "condition": "migraines|diabetes|asthma|high blood pressure|arthritis|IBS|thyroid|long covid|back pain|anxiety|"
                 "epilepsy|eczema|allergies|heart condition|Crohn's|endometriosis|psoriasis|sleep apnea|"
                 "MS|fibromyalgia|COPD|ME/CFS|depression|menopause|lupus|gout",
    "duration": "for a week|for two months|since January|for a year|for about 6 months|since my diagnosis|"
                "for 3 weeks|since the spring|for almost two years|every day this month|since last summer|"
                "for ten days|since Christmas|for a few months now",
    "since": "two days ago|after the update|since Monday|last week|yesterday|after I changed phones|this morning|"
             "since the new version|three days ago|over the weekend|since Friday|after the last update",
    "person": "my doctor|my GP|my cardiologist|my nurse|my neurologist|my pharmacist|my physio|my rheumatologist|"
              "my endocrinologist|my therapist|my dietitian|my diabetes nurse|the specialist|my dermatologist|"
              "my consultant|the practice nurse|my midwife|my care coordinator",
    "family": "my mum|my dad|my husband|my wife|my sister|my brother|my neighbour|my best friend|my grandma|"
              "my partner|my coworker|my son|my daughter|my carer|my flatmate",
    "praise_adj": "great|amazing|fantastic|brilliant|super helpful|really useful|excellent|lovely|awesome|solid|"
                  "intuitive|so simple|reliable|wonderful|perfect|so easy to use|spot on|very handy|top notch|"
                  "really good|superb|clean and simple|a real help|dead simple|fine|pretty good",
    "app_adj": "great|nice|good|lovely|solid|brilliant|useful|helpful|decent|beautiful|clever|handy|neat|excellent|"
               "fine|okay|promising",
    "adj_simple": "good|useful|helpful|accurate|polished|clear|quick|smooth",
    "look_adj": "great|clean|lovely|fresh|modern|calm|really nice|much tidier",
    "praise_sent": "love this app|best health app I've used|does exactly what I need|highly recommend|"
                   "worth every penny|keep up the good work|thank you so much|really happy with it|"
                   "couldn't ask for more|great job team|would recommend to anyone|so glad I found it|it just works|"
                   "very pleased|this app rocks|it has made my appointments so much easier|"
                   "it's become part of my routine|no notes|I'm impressed|genuinely helpful",
    "praise_short": "love it|perfect app|so helpful|great app|brilliant|very useful|thank you|works great|"
                    "life saver|nice one|amazing app|good stuff|excellent|top app|so good|lovely app|"
                    "all good|works now|no complaints|cheers team|fixed, thanks|happy user|spot on|"
                    "sorted now|still loving it|nice update",
    "short_bad": "sync broken|refund please|crashes constantly|dark mode pls|login broken|useless now|"
                 "fix reminders|double charged|where's export?|still crashing|wrong dose again|"
                 "not syncing|too many notifications|app won't open|lost my data|cancel my subscription|"
                 "export broken|why so slow?|add CSV export|bring back {feature}|{Feature} broken|"
                 "worst update ever|blank screen again|data deleted?!",
    "crash_vp": "crashes|freezes|force closes|hangs on a white screen|gets stuck on the loading spinner|"
                "closes by itself|lags like crazy|takes forever to load|logs me out|throws an error|goes blank|"
                "restarts itself|shows an empty screen|stops responding|jumps back to the home screen|"
                "spins for a minute and then quits",
    "action": "open the {feature2}|tap export|add a new medication|switch to the charts tab|rotate the screen|"
              "try to log in|sync my {wearable}|scroll back a month|edit an old entry|type a long note|"
              "open a reminder|share a report|change the units|add a photo|search my logs|save an entry|"
              "open the app from a notification|switch accounts|use voice input|pick a date|"
              "change the text size|attach a photo of my rash",
    "bug_pred": "stopped working|won't load|froze again|crashed twice today|broke after the update|"
                "didn't save my changes|won't open {onplat}|got really slow|showed the wrong dates|"
                "lost last week's entries|went blank|can't handle long entries|won't sync with my {wearable}|"
                "stopped showing my {med}|started throwing errors {since}|showed yesterday's data as today|"
                "only loaded half the month|got wiped overnight",
    "billing": "charged twice this month|billed after cancelling my trial|charged the wrong amount|"
               "overcharged for the yearly plan|billed in dollars instead of euros|"
               "charged for premium I never ordered|auto-renewed without any reminder|"
               "charged but premium is still locked|charged full price although the discount code was accepted|"
               "billed for the family plan when I only have one profile|charged again after my refund",
    "billing_and": "and nobody answers my emails.|and I'd like a refund.|and support hasn't replied.|"
                   "and I want my money back.|and the chat bot just loops.",
    "billing_ask": "please sort it out.|can someone check my account?|what's going on?|I want my money back.|"
                   "who do I talk to about this?",
    "privacy_q": "where my logs are stored|whether my notes are shared with advertisers|"
                 "who can read my symptom entries|if the AI is trained on my health data|how to delete all my data|"
                 "why the app wants my location|whether my data leaves the EU|if my health notes are encrypted|"
                 "what happens to my data if I cancel|whether my employer could see my logs|"
                 "which companies get my wearable data|how long you keep deleted entries|"
                 "whether staff can read my notes|if my data is sold when the company is bought",
    "privacy_use": "used to train your AI|shared with insurers|sold to advertisers|sent to third parties|"
                   "stored outside Europe|shown to my employer|kept after I delete my account",
    "privacy_worry": "the analytics switch turned itself back on after the update|"
                     "I got an advert about {condition} right after logging it|"
                     "the reminder shows my {med} on the lock screen for anyone to see|"
                     "the weekly email puts my symptoms in the subject line|"
                     "{family} could see my entries on the shared family plan|"
                     "the app asked for my {permission} on first launch without saying why",
    "permission": "location|contacts|microphone|camera|Bluetooth|photo library|calendar",
    "access": "the text doesn't get bigger when I raise the font size on my phone|"
            "VoiceOver skips the dose buttons|the screen reader just says 'image' for the charts|"
            "the light grey text is really hard to read|the buttons are too small for my shaky hands|"
            "there's no high contrast option|the red and green in the {feature} are impossible for me, I'm colour blind|"
            "I can't use the app with voice control|the reminder sound is too quiet and there's no vibration option|"
            "the swipe gestures are hard to do with arthritis in my fingers",
    "request": "a dark mode|a home screen widget|CSV export|family profiles|reminders every other day|"
               "Spanish support|a way to mark doses as skipped|bigger fonts|two-factor login|an Apple Watch app|"
               "custom symptom tags|a food diary|a landscape layout on tablets|shared access for a carer|"
               "a weekly email summary|a way to hide some medications from the summary|an offline mode|"
               "a way to merge duplicate entries|different sounds per reminder|a print button|"
               "reminders on specific weekdays|a water intake tracker|Welsh language support|"
               "a tapering schedule for my {med}|a pain body map|an export straight to my GP surgery|"
               "a way to log for my child without a second account|Polish translation|a quick-add button",
    "entries": "logs|entries from last week|medication history|symptom notes|sleep data|blood pressure readings|"
               "whole diary|reminders|custom symptoms|notes from this month|photos|tags",
    "event": "the update|switching phones|logging out|a sync|restoring a backup|changing my password|"
             "the app crashed|reinstalling|updating my phone|changing the time zone|clearing the cache",
    "problem_clause": "the {feature2} {bug_pred}|it logged the wrong dose for my {med}|my {wearable} won't sync|"
                      "I got charged twice|it missed my {time} {med}|there are way too many notifications|"
                      "it drains my battery|it keeps logging me out {onplat}|I can't find the {feature2} anymore|"
                      "it duplicates my entries|the font is tiny {onplat}|the export cuts off my notes|"
                      "it marked my {symptom} as severe when I wrote mild|you still haven't added {request}|"
                      "it {crash_vp} when I {action}|I'm not sure who can see my logs|{access}|{privacy_worry}|"
                      "it shows the wrong time for my {med} in the {feature2}|I was {billing}|"
                      "the reminders stopped after {event}",
    "problem_past": "my {wearable} not syncing|a double charge|the {feature} crashing|missing entries after {event}|"
                    "reminders not firing {onplat}|the login loop|the app freezing when I {action}|"
                    "a wrong dose for my {med}|the export cutting off",
    "resolution": "support sorted it within a day|the latest update fixed it|reinstalling fixed it|"
                  "it turned out I had notifications switched off|it was my own typo|"
                  "the battery saver was the culprit, not the app|a restart sorted it|"
                  "the help page explained the setting I'd missed|the refund came through the next morning",
    "task": "edit an old entry|change a reminder time|delete a medication|turn off sync|export only one month|"
            "switch units|add a second profile|undo a deleted entry|cancel my subscription|change my email|"
            "move an entry to another day|rename a symptom",
    "export_missing": "notes|blood pressure readings|sleep data|medication times|symptom severity|"
                      "entries from last month|food entries|charts|photos",
    "mode": "on silent|in battery saver|on do not disturb|in low power mode|locked|in focus mode",
    "error": "invalid token|something went wrong|session expired|server error 500|account not found|unknown error|"
             "network error even on wifi|error 403",
    "measure": "weight|blood sugar|temperature|blood pressure|water intake|height|peak flow",
    "num": "3|4|5|6|7|10|two|three|four",
    "wait": "a week|two weeks|ten days|over a month|5 days|three weeks",
    "issue": "my refund|the sync bug|my missing entries|deleting my account|the double charge|the login problem|"
             "the wrong doses|my export",
    "question_topic": "exporting to PDF|how to add a second medication|offline use|changing reminder times|"
                      "connecting my {wearable}|dark mode|how to delete an entry|switching units|"
                      "sharing reports with {person}|the yearly plan",
    "offtopic": "your support person Sam was lovely|the new app icon is cute|I'm logging from a beach holiday today|"
                "happy friday everyone|my cat walked across my phone and typed a log|it's snowing here|"
                "I told my whole book club about you|I finally ran my first 5k|my dog ate my paper diary years ago",
    "daypart": "morning|evening|night|afternoon|day",
    "day": "3|10|30|45|100|200|365",
    "plan": "yearly plan|subscription|premium|monthly plan|family plan",
    "stars_low": "1 star.|2 stars.|One star -|1/5.|Zero stars if I could.",
    "stars_mid": "3 stars.|4 stars -|3/5.|Four stars.",
    "stars_high": "5 stars!|5 stars.|Five stars.|5/5.|10/10.",
    "stars_word_low": "one star|two stars|a one-star review|a 2-star rating|a grumpy one-star review",
    "update_harm": "deleted half my logs|moved the {feature2} somewhere I can't find|made the font even smaller|"
                   "broke my {wearable} sync|logged me out of everything|turned my reminders off|"
                   "doubled every notification",
    "ask": "please look into it|can someone check?|any idea why?|is this a known bug?|please fix|help|"
           "this is really frustrating|can you sort it?",
    # sentences for long, rambling texts: context (either label), buried problem (1), buried all-clear (0)
    "ctx": "I've had {condition} {duration} and started using the app when {person} suggested keeping a diary.|"
           "Most days I log my {symptom} and my {med} in the morning and look at the {feature} at night.|"
           "I'm not very good with technology, {family} set it up for me on my {device}.|"
           "Before this I used a paper notebook and a spreadsheet, which was a total mess.|"
           "I mostly use it {onplat} but sometimes on my {device} as well.|"
           "My appointments with {person} are every three months so the exports matter a lot to me.|"
           "My {wearable} feeds into the app too, which is handy.|"
           "Sorry this is long, I don't usually write reviews.|"
           "I work shifts so my {med} times move around a lot.|"
           "It took me a while to get into the habit but now I log almost every day.|"
           "I tried two other trackers before this one and gave up on both.|"
           "Last month I had a flare up and logged everything, which was useful to look back on.|"
           "{Family} has {condition} too so we compare notes sometimes.|"
           "I like that I can type in my own words instead of picking from a list.|"
           "The reminders for my {med} are the main reason I installed it.|"
           "We're moving house next month so my routine is all over the place at the moment.|"
           "I'm writing this on the bus so excuse the typos.|"
           "I've been on {med} {duration} and the dose has changed a couple of times.|"
           "{Person} was quite impressed when I showed the charts last time.|"
           "I pay for the {plan}, mainly for the exports.",
    "buried_bad": "The one thing is that {problem_clause}.|But since {event}, {problem_clause}.|"
                "Also {problem_clause}, which is annoying when you rely on it.|"
                "Could you please add {request}? That would make a real difference.|"
                "What I'd really like to know is {privacy_q}.|"
                "The problem is that {problem_clause}, and it's happened {num} times now.|"
                "I was {billing} though, and I still haven't heard back.|"
                "My only real problem is that {access}.",
    "buried_ok": "There was a glitch with the {feature} once but {resolution}.|"
                "I did wonder about {privacy_q}, but the privacy page explained it.|"
                "Honestly, {praise_sent}.|"
                "I had some trouble with {problem_past} at the start, but {resolution}.|"
                "I don't have any requests, it does what I need.|"
                "The {feature} {be} {praise_adj} and I wouldn't change it.",
    "span": "two months|a whole year|six weeks|three months|ages",
    "outro": "Anyway, that's my two cents.|Sorry for the essay.|Thanks for reading this far.|"
             "That's all from me for now.|Anyway, back to my tea.|Just wanted to share that.",
}
LEX = {name: text.split("|") for name, text in LEX_TEXT.items()}
PLURAL = {"reminders", "medication reminders", "charts", "symptom charts", "family profiles",
          "pill reminders", "appointment notes", "symptom photos", "refill reminders", "streaks"}
FILL_DEPTH = 5

# ----------------------------------------------------------------------------------------
# Templates. 1 = needs follow-up, 0 = no follow-up. The comment names the hard kind a
# template is meant to give practice on (negation, mixed, sarcasm, resolved, stars, long, short).
# ----------------------------------------------------------------------------------------
FOLLOW_UP = [
    "The app {crash_vp} when I {action}.",
    "{Onplat} it {crash_vp} every time I {action}",
    'I wrote "{med} {dose}" and it saved {dose2} instead.',
    "It logged my {med} at {time2} but I took it at {time}.",
    "The {feature} {bug_pred}, {ask}",
    "My {wearable} stopped syncing {since}.",
    "I was {billing} {billing_and}",
    "I was {billing}. {Billing_ask}",
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
    "{App_adj} app but {problem_clause}.",                                        # mixed
    "Love the {feature}, hate that {problem_clause}.",                            # mixed
    "{stars_mid} The {feature} {be} {praise_adj} but {problem_clause}.",          # mixed
    "Can't log in {onplat}, it just says {error}.",
    "The {feature} hasn't worked since {event}.",                                 # negation
    "Battery drain is insane with {wearable} sync turned on.",
    "The dose for my {med} keeps changing to {dose} after I edit it.",
    "Subscription problem: I was {billing}.",
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
    "Great, the {feature} {bug_pred} again.",                                     # sarcasm
    # --- sarcasm: praise words, complaint meaning
    "Oh brilliant, the {feature} {bug_pred} again. Exactly what I needed today.",  # sarcasm
    "Love how it {crash_vp} every single time I {action}. Top quality.",           # sarcasm
    "Thanks so much for the update that {update_harm}. Really appreciated.",      # sarcasm
    "Wow, {num} reminders for a single pill. My phone has never felt so popular.",  # sarcasm
    "Great job, it turned my {dose} of {med} into {dose2}. Very reassuring for a health app.",  # sarcasm
    "So glad I pay for the {plan} just to watch the loading spinner {onplat}.",   # sarcasm
    "Really loving the new feature where my {entries} vanish overnight.",         # sarcasm
    "Amazing how it knows I had {symptom} when I wrote that I didn't.",           # sarcasm + negation
    "Truly impressive: {wait} and still no reply about {issue}.",                 # sarcasm
    "Oh good, logged out {onplat} again. Typing my password every morning is my new hobby.",  # sarcasm
    "Who needs the {feature} to actually load, right?",                          # sarcasm
    "Five stars for creativity, it logged {symptom} I never had.",                # sarcasm + stars
    "Nice to see my {wearable} and the app are on a break again.",                # sarcasm
    "Can't wait to be billed a third time, the first two went so smoothly.",      # sarcasm
    "Brilliant idea to hide the {feature} three menus deep. Took me {wait} to find it.",  # sarcasm
    # --- mixed: problem first or last
    "{Problem_clause}, otherwise {praise_sent}.",                                 # mixed, problem first
    "{Problem_clause}. Apart from that the app is {praise_adj}.",                 # mixed, problem first
    "Only issue: {problem_clause}. Everything else is {praise_adj}.",             # mixed, problem first
    "Really {app_adj} app and the {feature} {be} my favourite, but {problem_clause}.",  # mixed, last
    "{Praise_sent}! One thing though: {problem_clause}.",                         # mixed, last
    "Been using it {duration} for my {condition} and love it. It would be perfect with {request}.",  # mixed
    "The {feature} {be} {praise_adj}, the {feature2} not so much: it {crash_vp} when I {action}.",  # mixed
    "{stars_high} Still, {problem_clause}.",                                      # mixed + stars disagree
    "Five stars from me, just one request: {request}.",                           # stars disagree
    "Gave it 5 stars because I like it, but {problem_clause}.",                   # stars disagree
    # --- negation that makes a problem
    "Not once has my {wearable} synced without me opening the app.",              # negation
    "I never get the {time} reminder {onplat}.",                                  # negation
    "It doesn't save the dose when I edit my {med}.",                             # negation
    "No way to {task}? I've looked everywhere.",                                  # negation
    "I haven't been able to log in {since}.",                                     # negation
    "Nothing shows up in the {feature} since {event}.",                           # negation
    "The {feature} isn't picking up {med} when I type it in lower case.",          # negation
    "Not happy that my data might be {privacy_use}.",                             # negation
    "It never remembers that I take my {med} at {time}.",                         # negation
    "I didn't get a single reminder yesterday even though they're all switched on.",  # negation
    # --- accessibility, privacy, billing vocabulary
    "Accessibility problem: {access}.",
    "{Access}. Please think about older users.",
    "Worried because {privacy_worry}.",
    "{Privacy_worry}, which I did not agree to.",
    "Is my data {privacy_use}? The privacy page doesn't say.",
    "Price went up on my {plan} without any notice.",
    "I can't cancel the {plan} inside the app, the button does nothing.",
    "The refund for {issue} still hasn't arrived after {wait}.",
    "Sync between my {wearable} and the app drops every few hours.",
    "My {wearable2} readings overwrite the ones from my {wearable}.",
    # --- short (1-3 words)
    "{short_bad}",                                                                 # short
    "{short_bad}",                                                                 # short (weight 2)
    # --- long, rambling, actionable part buried
    "{Ctx} {Ctx2} {Buried_bad} {Ctx3} {Outro}",                                     # long
    "{Ctx} {Buried_bad} {Ctx2} {Ctx3} {Outro}",                                     # long
    "{Ctx} {Ctx2} {Ctx3} {Buried_bad}",                                             # long
    "{Ctx} {Ctx2} {Ctx3} {Buried_bad} {Ctx4}",                                      # long
    "Long-time user here. {Ctx} {Ctx2} {Buried_bad} {Outro}",                       # long
    "{Ctx} {Ctx2} {Praise_sent}, really. {Buried_bad} {Outro}",                     # long + mixed
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
    # --- sarcasm / jokey complaints that are really praise (rule 4)
    "Terrible news: I have no excuses left for forgetting my {med}.",             # sarcasm
    "The {feature} {be} so good that {family} is getting jealous of my phone.",     # sarcasm
    "Warning: the {feature} {be} addictive, I check it more than my messages.",     # sarcasm
    "Only downside is that {person} now expects me to turn up with charts every time.",  # sarcasm
    "Worst thing about this app? I can't pretend my {symptom} is random anymore.",  # sarcasm
    "Ugh, it's so easy to use that I have nothing to moan about.",                # sarcasm
    "Annoyingly, everything just works, even the {feature}. Where's the fun in that?",             # sarcasm
    "I really wanted to hate it, honestly. {Praise_sent}.",                       # sarcasm
    "My pharmacist is losing business, I never run out of {med} now.",            # sarcasm
    # --- mixed / resolved: the problem is over (rule 2)
    "Had trouble with {problem_past} but {resolution}, {praise_sent}.",           # mixed, resolved
    "The {feature} confused me at first, then I found the help page. All clear now.",  # resolved
    "Update: {problem_past} is sorted, {resolution}.",                            # resolved
    "Ignore my last message, the {feature} {be} working again.",                    # resolved
    "The sync issue with my {wearable} went away after the update, cheers.",      # resolved
    "Refund came through for the double charge, thanks for sorting it so fast.",  # resolved
    "I thought it logged the wrong dose but I had typed {dose} myself. My mistake.",  # resolved
    "Found the {feature} setting I was looking for, never mind.",                 # resolved
    "My entries were there after all, I was looking at the wrong profile.",       # resolved
    "Quick question about {question_topic}. Never mind, just found it in settings.",  # resolved
    "Bit pricey for the {plan}, but worth every cent.",                           # mixed (rule 5)
    "Took a while to learn, but now the {feature} {be} {praise_adj}.",            # mixed
    "Not perfect at first, but after the update the {feature} {be} {praise_adj}.",  # mixed, resolved
    # --- star ratings that disagree with the label (rule 7)
    "I left {stars_word_low} last month, but the {feature} works perfectly since the update.",  # stars
    "Changing my review from {stars_word_low} to five, support sorted out {issue}.",  # stars
    "{stars_low} That was my rating before I found the {feature}. Now it's a five.",  # stars
    "{stars_mid} Only because I haven't tried the {feature} yet, the rest is {praise_adj}.",  # stars
    # --- negation that is fine (rule 3)
    "Haven't missed a dose of {med} since I started using the reminders.",        # negation
    "Zero problems syncing my {wearable} {duration}.",                            # negation
    "No complaints from me, the {feature} {be} {praise_adj}.",                    # negation
    "Never thought I'd enjoy logging my {symptom}, but here we are.",             # negation
    "Not one crash {onplat} since I installed it.",                               # negation
    "Didn't lose a single entry when I moved to my new {device}.",                # negation
    "I can't think of anything to improve.",                                      # negation
    "It never forgets my {time} reminder.",                                       # negation
    "Not a single wrong dose in {span}.",                                         # negation
    "No bugs to report this week, just saying thanks.",                           # negation
    # --- hard negatives: problem words, but nothing to follow up
    "My phone crashed, not the app. The app kept every log.",
    "Charged exactly what the website said, no surprises.",
    "Read the privacy page twice and it answers everything I wanted to know.",
    "Error on my side: I had typed {dose2} instead of {dose}.",
    "Was sure it would crash on my old {device} but it runs fine.",
    "People complain about sync but my {wearable} has been fine {duration}.",
    "The error message was my wifi, all working now.",
    "Cancelled the {plan} because I no longer need it, nothing wrong with the app.",
    "Testing the feedback button, please ignore.",
    "Just changed my email address in settings, easy.",
    # --- long, rambling, nothing to act on
    "{Ctx} {Ctx2} {Buried_ok} {Ctx3} {Outro}",                                     # long
    "{Ctx} {Buried_ok} {Ctx2} {Ctx3} {Outro}",                                     # long
    "{Ctx} {Ctx2} {Ctx3} {Buried_ok}",                                             # long
    "{Ctx} {Ctx2} {Ctx3} {Buried_ok} {Ctx4}",                                      # long
    "Long-time user here. {Ctx} {Ctx2} {Buried_ok} {Outro}",                       # long
    "{Ctx} {Ctx2} I had {problem_past} once, but {resolution}. {Outro}",          # long + resolved
    "{Praise_short}",                                                              # short (weight 2)
]
TEMPLATES = ([(f"F{i:03d}", 1, t) for i, t in enumerate(FOLLOW_UP, 1)]
             + [(f"N{i:03d}", 0, t) for i, t in enumerate(NO_FOLLOW_UP, 1)])

SLOT = re.compile(r"\{([A-Za-z_]+?)(\d?)\}")

def fill(template, rng):
    """Replace every {slot} with a lexicon value (nested slots are filled too)."""
    chosen = {}

    def pick(m):
        name, num = m.group(1), m.group(2)
        base = name.lower()
        key = base + num
        if key not in chosen:
            if base == "be":              # verb agreement with the chosen feature
                chosen[key] = "are" if chosen.get("feature") in PLURAL else "is"
            else:
                taken = {v for k, v in chosen.items() if k.rstrip("0123456789") == base}
                value = rng.choice(LEX[base])
                while num and value in taken:
                    value = rng.choice(LEX[base])
                chosen[key] = value
        value = chosen[key]
        return value[0].upper() + value[1:] if name[0].isupper() else value

    for _ in range(FILL_DEPTH):
        template = SLOT.sub(pick, template)
    if SLOT.search(template):
        sys.exit(f"FAIL: slots nested deeper than {FILL_DEPTH}: {template}")
    return template


# ---- style noise: typos, abbreviations, shouting, star ratings, tails, punctuation, case ----
# Nothing here depends on the label: star prefixes and sign-offs are drawn the same way for both
# labels, so they carry no label signal (datasheet rule 7).
ABBREV = [(r"\bplease\b", "pls"), (r"\byou\b", "u"), (r"\bthanks\b", "thx"), (r"\breally\b", "rly"),
          (r"\bbecause\b", "bc"), (r"\bwith\b", "w/"), (r"n't\b", "nt"), (r"\bI'm\b", "im"),
          (r"\bdon't know\b", "dunno"), (r"\btonight\b", "tonite")]
STAR_PREFIX = ["1 star.", "2 stars.", "1 star:", "2/5 -", "3 stars.", "3/5 -", "4 stars.", "4/5",
               "5 stars.", "5 stars!", "5/5"]
TAIL = ["Thanks.", "Cheers.", "Anyway.", "Just my two cents.", "Sent from my phone.", "lol", "x",
        "Thanks in advance."]

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

def stylise(text, rng):
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
    short = len(text.split()) <= 3
    if (not short and rng.random() < 0.10 and "star" not in text.lower() and "/5" not in text
            and "/10" not in text):
        text = rng.choice(STAR_PREFIX) + " " + text
    if not short and rng.random() < 0.08:
        text = text.rstrip() + " " + rng.choice(TAIL)
    r = rng.random()
    if r < 0.12:
        text = text.rstrip(".!") + "!!"
    elif r < 0.30:
        text = text.rstrip(".")
    if rng.random() < 0.20:
        text = text.lower()
    return clean(text)


# ---- light paraphrases of hand-written training texts: swap one slot word for another ----
# Only lexicons whose values are interchangeable nouns are used (medication names, wearables,
# devices/platform names, symptoms, singular feature names, "my doctor"-style people, family
# members), and never to a value the text already holds, so the label cannot change. Doses and
# times are never swapped (a mismatch between two of them is often the complaint itself).
PARA_TEXT = {   # swaps stay inside one group: a scale stays a scale, a daughter stays a "she"
    "med": LEX_TEXT["med"],
    "watch": "Fitbit|Apple Watch|Garmin|Galaxy Watch|Pixel Watch|Polar watch|Amazfit band|Mi Band|"
             "Coros watch|Withings watch|Fitbit Charge|Garmin Venu|Huawei Watch|Oura ring|Whoop strap",
    "health_hub": "Apple Health|Google Fit|Health Connect|Samsung Health",
    "glucose": "Dexcom sensor|FreeStyle Libre|glucose sensor|Libre sensor|Dexcom",
    "scale": "Withings scale|smart scale|bathroom scale",
    "cuff": "Omron cuff|blood pressure cuff|BP cuff",
    "phone": "iPhone|Pixel|OnePlus|Huawei|Xiaomi|Motorola|Galaxy|iPhone SE",
    "tablet": "iPad|Galaxy Tab|Fire tablet|Android tablet|iPad mini",
    "symptom": "|".join(v for v in LEX["symptom"] if v not in ("cough", "itching", "low mood")),
    "export": "PDF export|CSV export|doctor export|PDF report",
    "overview": "weekly summary|daily summary|monthly report|trend chart|sleep chart|heart rate chart|"
                "mood chart|calendar view|timeline|insights tab|symptom chart",
    "widget": "home screen widget|lock screen widget",
    "person": "|".join(v for v in LEX["person"] if v.startswith("my ")),
    "family_f": "my mum|my wife|my sister|my grandma|my daughter|my aunt",
    "family_m": "my dad|my husband|my brother|my son|my grandad|my uncle",
    "family_n": "my partner|my neighbour|my best friend|my coworker|my carer|my flatmate",
}
PARA_LEX = {name: text.split("|") for name, text in PARA_TEXT.items()}
PARA_RE = {name: re.compile(r"\b(" + "|".join(re.escape(v) for v in sorted(vals, key=len, reverse=True))
                            + r")\b", re.I)
           for name, vals in PARA_LEX.items()}

def paraphrase(text, rng):
    """One variant of ``text`` with one lexicon word swapped, or None where nothing matches."""
    found = []
    for name in PARA_LEX:                       # fixed order: no dependence on hashing
        for m in PARA_RE[name].finditer(text):
            found.append((m.start(), m.end(), name))
    spots = []                                  # longest matches win ("Samsung Health" over "Samsung")
    for spot in sorted(found, key=lambda s: (s[0] - s[1], s[0], s[2])):
        if all(spot[1] <= o[0] or spot[0] >= o[1] for o in spots):
            spots.append(spot)
    spots.sort()
    if not spots:
        return None
    start, end, name = rng.choice(spots)
    old = text[start:end]
    # never a value already in the text: "logged X instead of Y" must not become "X instead of X"
    value = rng.choice([v for v in PARA_LEX[name] if not re.search(rf"\b{re.escape(v)}\b", text, re.I)])
    canonical = next(v for v in PARA_LEX[name] if v.lower() == old.lower())
    if old == old.lower() != canonical:         # the writer typed a capitalised name in lower case
        value = value.lower()
    elif start == 0 or re.search(r"[.!?]\s*$|^\W*$", text[:start]):
        value = value[0].upper() + value[1:]     # at the start of a sentence
    return text[:start] + value + text[end:]


# ---- duplicate / near-duplicate machinery ----
def clean(text):
    return " ".join(text.replace("\t", " ").replace("\r", " ").replace("\n", " ").split())

def norm(text):
    return " ".join(text.lower().split())

# Two tokenisations, and a pair is a near duplicate if EITHER reaches NEAR_DUP: words only
# (letters, digits, apostrophes), and the course's word tokeniser (helpers/tagging.py WORD_RE:
# punctuation marks are tokens too), which data.find_leakage uses, so the course's own leakage
# check can never find a pair that this script let through.
COURSE_WORD = re.compile(r"\w+(?:[-'’.:/]\w+)*|[^\w\s]")

def shingles(toks):
    n = min(3, len(toks))               # texts of 1-2 tokens use one 1- or 2-gram
    return frozenset(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)) if n else frozenset()

def grams(text):
    low = text.lower()
    return (shingles(re.findall(r"[a-z0-9']+", low)), shingles(COURSE_WORD.findall(low)))

def jaccard(a, b):
    return max(len(x & y) / len(x | y) if x and y else 0.0 for x, y in zip(a, b))

class Index:
    """Remembers accepted texts with where they came from; finds exact duplicates anywhere and
    near duplicates (3-gram Jaccard >= NEAR_DUP) in a different split."""

    def __init__(self):
        self.keys, self.items, self.by_gram = {}, [], {}

    def clash(self, text, split):
        """The origin of the first clashing text (a string), or None."""
        if norm(text) in self.keys:
            return f"{self.keys[norm(text)]} (exact duplicate)"
        g = grams(text)
        for j in sorted({j for gram in g[0] | g[1] for j in self.by_gram.get(gram, ())}):
            other_split, other_grams, origin = self.items[j]
            if other_split != split and jaccard(g, other_grams) >= NEAR_DUP:
                return f"{origin} (near duplicate, Jaccard {jaccard(g, other_grams):.2f})"
        return None

    def add(self, text, split, origin):
        self.keys[norm(text)] = origin
        g = grams(text)
        self.items.append((split, g, origin))
        for gram in g[0] | g[1]:
            self.by_gram.setdefault(gram, []).append(len(self.items) - 1)

def generate(templates, n_by_label, rng, index):
    """Walk the templates of each label round-robin (labels alternate while both still need
    texts); skip a template once 60 tries in a row give nothing new."""
    by_label = {lab: [t for t in templates if t[1] == lab] for lab in (0, 1)}
    turn, dead, out, bases = {0: 0, 1: 0}, set(), [], set()
    need = dict(n_by_label)
    while need[0] + need[1] > 0:
        label = 1 if need[1] >= need[0] else 0
        pool = [t for t in by_label[label] if t[0] not in dead]
        if not pool:
            sys.exit(f"FAIL: train: templates for label {label} exhausted at {len(out)} examples")
        tid, _, template = pool[turn[label] % len(pool)]
        turn[label] += 1
        for _ in range(60):
            base = fill(template, rng)
            text = stylise(base, rng)
            if norm(base) not in bases and not index.clash(text, "train"):
                bases.add(norm(base))
                index.add(text, "train", f"template {tid}")
                out.append((text, label, tid))
                need[label] -= 1
                break
        else:
            dead.add(tid)
    return out

def read_handwritten(path, min_total=0, min_per_hard_kind=0):
    """Rows (text, label, kind, line number) of a LABEL<TAB>KIND<TAB>text file; exits on bad lines."""
    if not path.is_file():
        sys.exit(f"FAIL: {path.name} is missing (expected at {path}); it is a source of the corpus")
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t", 2)
        if len(parts) != 3 or parts[0] not in ("0", "1") or parts[1] not in KINDS or not parts[2].strip():
            sys.exit(f"FAIL: {path.name}:{n}: expected LABEL<TAB>KIND<TAB>text")
        text, kind = clean(parts[2]), parts[1]
        words = len(text.split())
        if (kind == "short" and not 1 <= words <= 3) or (kind == "long" and not 60 <= words <= 150):
            sys.exit(f"FAIL: {path.name}:{n}: {kind} text has {words} words")
        rows.append((text, int(parts[0]), kind, n))
    for kind in KINDS[1:]:
        if sum(r[2] == kind for r in rows) < min_per_hard_kind:
            sys.exit(f"FAIL: {path.name}: fewer than {min_per_hard_kind} lines of kind {kind}")
    if len(rows) < max(min_total, 1):
        sys.exit(f"FAIL: {path.name}: only {len(rows)} hand-written lines (need {max(min_total, 1)})")
    return rows

def index_handwritten(rows, split, filename, index):
    """Add hand-written rows to the index; any exact or near duplicate of an earlier text
    (in another split, or exact in this one) is listed as file:line and the script fails."""
    problems = []
    for text, _, _, line in rows:
        hit = index.clash(text, split)
        if hit:
            problems.append(f"  {filename}:{line}: clashes with {hit}: {text}")
        else:
            index.add(text, split, f"{filename}:{line}")
    if problems:
        print("\n".join(problems))
        sys.exit(f"FAIL: {len(problems)} line(s) of {filename} duplicate or nearly duplicate "
                 "another hand-written text; rewrite or remove them")

def interleave(rows, rng):
    """Order rows so every prefix holds each (source, label) group in proportion: each group is
    shuffled, its k-th of n rows gets the key (k + u) / n with u uniform in [0, 1), sort by key."""
    groups = {}
    for row in rows:
        groups.setdefault((source(row), row[1]), []).append(row)
    keyed = []
    for key in sorted(groups):
        group = groups[key]
        rng.shuffle(group)
        keyed += [((k + rng.random()) / len(group), row) for k, row in enumerate(group)]
    keyed.sort(key=lambda pair: pair[0])
    return [row for _, row in keyed]

def source(row):
    return {"H": "hand-written", "P": "paraphrase"}.get(row[2][0], "template")

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
        print(f"  {a} vs {b}: exact duplicates {exact}, near duplicates (3-gram Jaccard >= {NEAR_DUP}) "
              f"{near}, highest Jaccard {max(scores):.3f} over {len(scores):,} pairs")
    if problems:
        sys.exit(f"FAIL: {problems} leakage problems found; nothing written")
    print("  all leakage checks passed")

def write_tsv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\t".join(header) + "\n")
        for row in rows:
            f.write("\t".join(str(x) for x in row) + "\n")

def kind_table(title, rows):
    print(f"{title} by kind (label 1 / label 0 / total):")
    for kind in KINDS:
        sub = [r for r in rows if r[2] == kind]
        p = sum(r[1] for r in sub)
        print(f"  {kind:9s} {p:4d} / {len(sub) - p:4d} / {len(sub):4d}")

def main():
    rng = random.Random(7)
    test = read_handwritten(HERE / "handwritten_test.txt", MIN_EVAL, MIN_PER_HARD_KIND)
    dev = read_handwritten(HERE / "handwritten_dev.txt", MIN_EVAL, MIN_PER_HARD_KIND)
    hand = read_handwritten(HERE / "handwritten_train.txt")
    rng.shuffle(test)
    rng.shuffle(dev)
    index = Index()
    index_handwritten(test, "test", "handwritten_test.txt", index)
    index_handwritten(dev, "dev", "handwritten_dev.txt", index)
    index_handwritten(hand, "train", "handwritten_train.txt", index)

    # train: every hand-written training text, one paraphrase of each where a swap applies
    # (dropped if it clashes with dev/test), then templates up to N_TRAIN with labels balanced
    train = [(text, label, f"H{line}") for text, label, _, line in hand]
    room = N_TRAIN - len(train) - MIN_TEMPLATE_TEXTS
    if room < 0:
        sys.exit(f"FAIL: {len(hand)} hand-written training texts leave fewer than {MIN_TEMPLATE_TEXTS} "
                 f"template texts in a train set of {N_TRAIN}")
    para_dropped = 0
    for text, label, _, line in hand:
        if sum(r[2][0] == "P" for r in train) >= room:
            break
        variant = paraphrase(text, rng)
        if variant is None:
            continue
        if index.clash(variant, "train"):
            para_dropped += 1
            continue
        index.add(variant, "train", f"paraphrase of handwritten_train.txt:{line}")
        train.append((variant, label, f"P{line}"))
    pos = sum(r[1] for r in train)
    n_templates = N_TRAIN - len(train)
    want_pos = max(0, min(n_templates, N_TRAIN // 2 - pos))
    train += generate(TEMPLATES, {1: want_pos, 0: n_templates - want_pos}, rng, index)
    train = interleave(train, rng)

    print(f"Templates: {len(TEMPLATES)} ({len(FOLLOW_UP)} label 1, {len(NO_FOLLOW_UP)} label 0); "
          f"used in train: {len({r[2] for r in train if r[2][0] in 'FN'})}")
    print("Train by source (label 1 / label 0 / total):")
    for name in ("hand-written", "paraphrase", "template"):
        sub = [r for r in train if source(r) == name]
        p = sum(r[1] for r in sub)
        print(f"  {name:12s} {p:4d} / {len(sub) - p:4d} / {len(sub):4d}  ({100 * len(sub) / len(train):.1f}%)")
    print(f"  paraphrases dropped as too close to dev/test: {para_dropped}")
    head = train[:PREFIX]
    print(f"  first {PREFIX} rows: {sum(source(r) == 'hand-written' for r in head)} hand-written, "
          f"{sum(source(r) == 'paraphrase' for r in head)} paraphrases, "
          f"{sum(source(r) == 'template' for r in head)} template; "
          f"label 1: {sum(r[1] for r in head)}")
    total = pos = 0
    for name, rows in (("train", train), ("dev", dev), ("test", test)):
        p = sum(r[1] for r in rows)
        total, pos = total + len(rows), pos + p
        print(f"{name:5s}: {len(rows):5d} examples | label 1: {p:4d} | label 0: {len(rows) - p:4d} "
              f"| {100 * p / len(rows):.1f}% positive")
    print(f"total: {total:5d} examples | label 1: {pos:4d} | label 0: {total - pos:4d} "
          f"| {100 * pos / total:.1f}% positive")
    kind_table("Hand-written train", hand)
    kind_table("Dev set", dev)
    kind_table("Test set", test)
    verify({"train": train, "dev": dev, "test": test})
    write_tsv(HERE / "train.tsv", ["text", "label"], [(t, l) for t, l, _ in train])
    write_tsv(HERE / "dev.tsv", ["text", "label"], [(t, l) for t, l, _, _ in dev])
    write_tsv(HERE / "dev_kinds.tsv", ["kind", "label", "text"], [(k, l, t) for t, l, k, _ in dev])
    write_tsv(HERE / "test.tsv", ["text", "label"], [(t, l) for t, l, _, _ in test])
    write_tsv(HERE / "test_kinds.tsv", ["kind", "label", "text"], [(k, l, t) for t, l, k, _ in test])

if __name__ == "__main__":
    main()
