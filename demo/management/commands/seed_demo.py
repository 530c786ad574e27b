"""Fill an empty database with a realistic, entirely fictional demo data set.

    python manage.py seed_demo [--families 50] [--seed 2026] [--force]

Creates the teams, one sign-in per role (with published demo passwords and, for all but one, an
authenticator app with a published key: see demo.second_factor) and about fifty
families with their people, consents, calls and follow-ups, all through ``families.services``
and attributed to the worker who "did" each step. Does nothing, apart from printing the
sign-ins, when the demo accounts already exist. Refuses to run with DEBUG off unless --force.

Every name, address, phone number and story here is made up. Postcodes are real (so that
the local authority lookup works) but the street addresses paired with them are not.
Phone numbers are in the 07700 900xxx range that Ofcom keeps for drama.
"""

import random
import time as clock
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from auditlog.context import disable_auditlog, set_actor
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from agencies.models import Agency, Professional
from data_protection import breaches as breach_services
from data_protection import services as data_protection_services
from data_protection.models import Breach, LegalHold, SubjectAccessRequest
from deadlines.services import raise_overdue_flags
from demo.second_factor import WITHOUT_APP, demo_apps_create, demo_key_for_app
from families import calls as call_services
from families import rectification, services
from families.models import (
    AgencyKind,
    Challenge,
    Consent,
    Contact,
    ExploitationType,
    Family,
    FollowUp,
    LocalAuthority,
    Membership,
    Person,
    Relationship,
    Role,
    SupportCategory,
    Team,
)
from families.postcodes import local_authority_for_postcode
from meetings import services as meeting_services
from meetings.models import Meeting, MeetingAction
from outcomes import services as outcome_services
from outcomes.deadline_kinds import CHECK_IN_EVERY_MONTHS
from outcomes.models import CheckIn
from referrals import services as referral_services
from referrals.models import Milestone, ParentUpdate, Referral, SocialWorkerAllocation, ThresholdRule
from safety_plans import intelligence, missing
from safety_plans import services as plan_services
from safety_plans.models import (
    Commitment,
    IntelligenceEntry,
    PersonOfConcern,
    PlanStep,
    SafetyPlan,
    SafetyRating,
    Worry,
)
from staff.models import User

SIGN_IN_URL = "http://127.0.0.1:8000/"

# --- Teams -----------------------------------------------------------------------------------

NATIONAL = "national"
BIRMINGHAM = "birmingham"
LEEDS = "leeds"
LANCASHIRE = "lancashire"

# key: (team name, ONS code of its local authority or None)
TEAMS = {
    NATIONAL: ("National support team", None),
    BIRMINGHAM: ("Birmingham parent liaison team", "E08000025"),
    LEEDS: ("Leeds parent liaison team", "E08000035"),
    LANCASHIRE: ("Lancashire parent liaison team", "E10000017"),
}


# --- Staff -----------------------------------------------------------------------------------


CSC_TEAMS = ["Assessment team", "Child protection team", "Children in need team", "Exploitation team"]
PARENT_UPDATES = [
    "Social worker rang to say the assessment has started.",
    "Letter saying the referral is being looked at.",
    "Told the case is moving to a new team.",
    "Invited to a meeting next week.",
    "",
]


@dataclass(frozen=True)
class DemoUser:
    key: str
    email: str
    full_name: str
    password: str
    label: str
    memberships: tuple  # (team key, role)
    superuser: bool = False


DEMO_USERS = [
    DemoUser("caseworker", "caseworker@pace.example", "Priya Shah", "demo-caseworker-2026",
             "Caseworker (national team)", ((NATIONAL, Role.CASEWORKER),)),
    DemoUser("plo", "plo@pace.example", "Daniel Whitfield", "demo-liaison-2026",
             "Parent liaison officer (Birmingham)", ((BIRMINGHAM, Role.PLO),)),
    DemoUser("manager", "manager@pace.example", "Ruth Adeyemi", "demo-manager-2026",
             "Manager (national team and Birmingham)", ((NATIONAL, Role.MANAGER), (BIRMINGHAM, Role.MANAGER))),
    DemoUser("admin", "admin@pace.example", "Alex Morgan", "demo-administrator-2026",
             "Administrator (all teams, Django admin)",
             tuple((team, Role.ADMINISTRATOR) for team in TEAMS), superuser=True),
    DemoUser("caseworker2", "caseworker2@pace.example", "Tom Brennan", "demo-colleague-2026",
             "Caseworker (national team)", ((NATIONAL, Role.CASEWORKER),)),
    DemoUser("caseworker3", "caseworker3@pace.example", "Aisha Rahman", "demo-colleague-2026",
             "Caseworker (national team)", ((NATIONAL, Role.CASEWORKER),)),
    DemoUser("caseworker4", "caseworker4@pace.example", "Gareth Lloyd", "demo-colleague-2026",
             "Caseworker (national team)", ((NATIONAL, Role.CASEWORKER),)),
    DemoUser("plo_leeds", "plo.leeds@pace.example", "Bernadette Walsh", "demo-liaison-2026",
             "Parent liaison officer (Leeds)", ((LEEDS, Role.PLO),)),
    DemoUser("plo_lancashire", "plo.lancashire@pace.example", "Imran Hussain", "demo-liaison-2026",
             "Parent liaison officer (Lancashire)", ((LANCASHIRE, Role.PLO),)),
]

# Key workers of national-team families, in turn: the demo caseworker has the most.
NATIONAL_KEY_WORKER_CYCLE = ["caseworker", "caseworker2", "caseworker", "caseworker3", "caseworker4"]
NATIONAL_CASEWORKERS = ["caseworker", "caseworker2", "caseworker3", "caseworker4"]
TEAM_PLO = {BIRMINGHAM: "plo", LEEDS: "plo_leeds", LANCASHIRE: "plo_lancashire"}

# --- Places ----------------------------------------------------------------------------------
# Real postcodes, each checked against the ONS postcode directory (and again on every run),
# with the postal town for the made-up address. Area key: (ONS code of the authority, postcodes).

AREAS = {
    BIRMINGHAM: ("E08000025", [
        ("B23 6DU", "Birmingham"), ("B23 5EW", "Birmingham"), ("B27 7QR", "Birmingham"),
        ("B27 6DR", "Birmingham"), ("B14 4NW", "Birmingham"), ("B14 4RH", "Birmingham"),
        ("B44 8JH", "Birmingham"), ("B44 9EF", "Birmingham"), ("B31 1JW", "Birmingham"),
        ("B31 4NF", "Birmingham"), ("B20 2DB", "Birmingham"), ("B36 8BS", "Birmingham"),
        ("B11 4NF", "Birmingham"), ("B11 1PN", "Birmingham"),
    ]),
    LEEDS: ("E08000035", [
        ("LS8 2QZ", "Leeds"), ("LS8 1QR", "Leeds"), ("LS11 8HJ", "Leeds"), ("LS11 7BH", "Leeds"),
        ("LS14 1HP", "Leeds"), ("LS14 6ZW", "Leeds"), ("LS12 1UT", "Leeds"), ("LS12 2PR", "Leeds"),
        ("LS6 9AT", "Leeds"), ("LS27 0HR", "Leeds"), ("LS25 4BT", "Leeds"),
    ]),
    LANCASHIRE: ("E10000017", [
        ("PR1 6NJ", "Preston"), ("PR2 2LY", "Preston"), ("PR2 0NR", "Preston"),
        ("LA1 4LP", "Lancaster"), ("LA1 9BU", "Lancaster"), ("LA4 5JB", "Morecambe"), ("LA4 4LL", "Morecambe"),
        ("BB10 1TG", "Burnley"), ("BB10 3ED", "Burnley"), ("BB11 5LZ", "Burnley"),
        ("PR25 4TZ", "Leyland"), ("PR25 1XJ", "Leyland"), ("PR7 3NF", "Chorley"), ("PR7 1QL", "Chorley"),
    ]),
    "manchester": ("E08000003", [
        ("M40 7GF", "Manchester"), ("M40 8GN", "Manchester"), ("M22 1PP", "Manchester"), ("M9 5YA", "Manchester"),
    ]),
    "bristol": ("E06000023", [("BS5 7XG", "Bristol"), ("BS5 9HH", "Bristol"), ("BS13 8JU", "Bristol")]),
    "nottingham": ("E06000018", [("NG7 7BT", "Nottingham"), ("NG5 5UR", "Nottingham"), ("NG5 9ND", "Nottingham")]),
    "newcastle": ("E08000021", [
        ("NE4 9LU", "Newcastle upon Tyne"), ("NE4 8PQ", "Newcastle upon Tyne"), ("NE6 2RX", "Newcastle upon Tyne"),
    ]),
    "cardiff": ("W06000015", [("CF5 9BH", "Cardiff"), ("CF5 2DD", "Cardiff"), ("CF24 2LS", "Cardiff")]),
    "lambeth": ("E09000022", [("SE27 9RE", "London"), ("SW2 2YG", "London"), ("SW2 4HU", "London")]),
    "bath": ("E06000022", [("BA2 5AR", "Bath"), ("BA2 7BH", "Bath")]),
    "liverpool": ("E08000012", [("L4 7UP", "Liverpool"), ("L4 4LX", "Liverpool"), ("L11 8LX", "Liverpool")]),
    "southampton": ("E06000045", [("SO16 3HJ", "Southampton"), ("SO16 3QB", "Southampton")]),
}
ELSEWHERE = [key for key in AREAS if key not in TEAM_PLO]

STREETS = [
    "Elm Grove", "Station Road", "Church Lane", "Victoria Street", "Park Avenue", "Mill Lane", "Oak Close",
    "Cedar Way", "Queen Street", "Willow Drive", "Chapel Street", "Meadow View", "Beech Road", "Albert Terrace",
    "Holly Bank", "Orchard Way", "Laburnum Grove", "Windsor Road", "Fern Close", "Brook Street",
]
OTHER_TOWNS = ["Blackpool", "Swansea", "Exeter", "Norwich", "Scarborough", "Hastings", "Lincoln", "Carlisle"]
SCHOOLS = [
    "Greenfield Academy", "St Bede's Catholic High School", "Riverside Community School", "Oakwood High School",
    "Hillside Academy", "Northfield School", "Kingsmead Academy", "Meadowbank High School", "Westgate College",
    "St Hilda's Church of England School",
]

# --- People ----------------------------------------------------------------------------------

WOMEN = [
    "Joanne", "Sarah", "Michelle", "Nadia", "Claire", "Aaliyah", "Donna", "Kerry", "Fatima", "Leanne", "Gemma",
    "Samina", "Tracey", "Marcia", "Agnieszka", "Helen", "Yasmin", "Rebecca", "Chantelle", "Lisa", "Amina",
    "Karen", "Siobhán", "Precious", "Lorraine", "Shabana", "Emma", "Natalie",
]
MEN = [
    "Mark", "Darren", "Imran", "Paul", "Wayne", "Kwame", "Lee", "Tariq", "Gary", "Steven", "Marcus", "Piotr",
    "Craig", "Delroy", "Asif", "Neil", "Jason", "Dean", "Rashid", "Anthony",
]
GRANDMOTHERS = ["Maureen", "Pauline", "Janet", "Beverley", "Sandra", "Hyacinth", "Brenda", "Shirley"]
GRANDFATHERS = ["Roy", "Trevor", "Keith", "Winston", "Derek", "Malcolm"]
BOYS = [
    "Tyler", "Kai", "Jayden", "Mohammed", "Callum", "Reece", "Liam", "Ethan", "Aaron", "Leon", "Harvey", "Jamal",
    "Kacper", "Riley", "Josh", "Ibrahim", "Connor", "Luca", "Dylan", "Mason", "Zain", "Tyrese", "Bailey", "Alfie",
]
GIRLS = [
    "Chloe", "Amelia", "Jade", "Leah", "Aisha", "Mia", "Courtney", "Ellie", "Zara", "Lacey", "Maisie", "Hana",
    "Demi", "Skye", "Grace", "Summer", "Ruby", "Amira", "Keira", "Nevaeh",
]
SURNAMES = [
    "Hughes", "Khan", "Walsh", "Campbell", "Ahmed", "Kowalski", "Robinson", "Begum", "Thompson", "Clarke",
    "Hussain", "Murphy", "Evans", "Mensah", "Patel", "Wright", "Ali", "O'Brien", "Jones", "Taylor", "Bennett",
    "Williams", "Nowak", "Green", "Hall", "Richards", "Iqbal", "Brown", "Fletcher", "Osei", "McCarthy", "Davies",
    "Kaur", "Sharma", "Wood", "Lewis", "Baptiste", "Moore", "Price", "Okonkwo",
]
ADDITIONAL_NEEDS = [
    "Autism; finds changes to routine very hard.",
    "ADHD.",
    "Dyslexia.",
    "Has an education, health and care plan for social, emotional and mental health needs.",
    "Speech and language needs; prefers short, direct questions.",
]
SAFE_CONTACT_TIMES = [
    "Weekdays after 10am",
    "Weekdays 9:30am to 2:30pm, while the children are at school",
    "Evenings after 7pm",
    "Any time; mobile only",
    "Mornings only; works afternoons",
    "Any weekday except Wednesday",
]
CONTACT_NOTES = [
    "Works shifts: text first to check it is a good time to talk.",
    "Prefers short calls, with a text afterwards saying what was agreed.",
    "If someone else answers, just ask for them by first name.",
    "Finds e-mail easier for anything long, such as meeting notes.",
]

# --- What happened ---------------------------------------------------------------------------
# Summaries are written as our staff write them: plainly, about a parent who is doing their best
# to protect their child from people outside the family.

CRIMINAL = frozenset({"cce", "county_lines", "trafficking"})
SEXUAL = frozenset({"cse", "online", "trafficking"})


@dataclass(frozen=True)
class Story:
    summary: str
    support: tuple  # support category codes
    follow_up: str = ""
    types: frozenset = field(default_factory=frozenset)  # empty: fits any child
    handle_with_care: bool = False
    channel: str = ""


FIRST_CALLS = [
    Story("First call. {parent} got in touch after {child} came home with a new phone and expensive trainers that "
          "{they} could not explain, and has started staying out late. Listened to what has been happening over the "
          "last few weeks and explained how criminal exploitation often starts with gifts and attention. {parent} is "
          "keen to work with us.",
          ("listening", "information"), "Send {parent} our information pack on criminal exploitation", CRIMINAL),
    Story("First call, after the police gave {parent} our number: {child} was found in another town with adults "
          "{they} did not know. {parent} is exhausted and frightened and has hardly slept for days. Mostly listened. "
          "Explained what we can offer and agreed to call again later in the week.",
          ("listening", "information"), "Call {parent} back to talk through what support would help"),
    Story("First call. {parent} found messages on {child}'s phone from an older man asking {them} to meet. Talked "
          "through keeping the messages as evidence rather than deleting them, and how to report to the police and "
          "to CEOP. {parent} reported it the same afternoon.",
          ("listening", "information", "police"), "Check how the police report went and how {child} is",
          SEXUAL, handle_with_care=True),
    Story("First call. {child}'s school suggested {parent} contact us after {their} attendance dropped and {they} was "
          "seen outside school with older young people. Talked through what exploitation can look like and what "
          "{parent} can ask school for.",
          ("information", "school"), "Send {parent} our guide to working with school"),
    Story("First call. {child} was stopped by police in {other_town} with drugs on {them}; {parent} had not known "
          "where {they} was for three days. Explained county lines, that {child} is a victim of exploitation, and "
          "what {parent} can ask the police for.",
          ("information", "police"), "Send {parent} information on the National Referral Mechanism",
          frozenset({"county_lines", "cce"})),
    Story("First call. {parent} has already spoken to the police and children's social care about the people {child} "
          "has been spending time with, and wanted someone on the family's side. Explained our role and how we can "
          "support {parent} in meetings.",
          ("listening", "advocacy"), "Call {parent} before the strategy meeting"),
]

ONGOING_CALLS = [
    Story("{parent} described the car that has been picking {child} up after school; talked through passing the "
          "registration to the police and how to do it safely.",
          ("police", "safety_planning"), "Check whether {parent} has passed the registration to the police", CRIMINAL),
    Story("{child} went missing overnight again and came home the next morning. {parent} did everything right: "
          "reported {them} missing straight away and stayed calm when {they} came back. Talked about the return home "
          "interview and what to expect from it.",
          ("listening", "police"), "Ask {parent} how the return home interview went"),
    Story("{parent} has a strategy meeting with children's social care next week and is worried about being blamed. "
          "Went through what happens at the meeting and helped {parent} write down the points to raise, including the "
          "support {child} needs.",
          ("csc", "advocacy"), "Ring {parent} after the strategy meeting"),
    Story("Spoke with {parent} about a letter from school warning of a possible exclusion. Agreed we would join the "
          "meeting with the head of year to explain that {child} is being exploited, not choosing to misbehave.",
          ("school", "advocacy"), "Join the school meeting with {parent}"),
    Story("Quieter week. {parent} says {child} has been home most evenings and they watched a film together at the "
          "weekend. Talked about noticing small good moments, and about {parent} getting some rest too.",
          ("listening",)),
    Story("{parent} found a large amount of cash and a second phone in {child}'s room and was not sure what to do. "
          "Talked through the options, including telling the police, and how to keep talking with {child} without it "
          "turning into an argument.",
          ("information", "police", "safety_planning"), "Check what {parent} decided about the phone and cash",
          CRIMINAL),
    Story("{parent} was very upset: {child} came home with injuries and will not say what happened. Listened for a "
          "long time. {parent} took {them} to A&E and has told the police. Talked about what to say to {child} and "
          "who {parent} can lean on tonight.",
          ("listening", "police", "safety_planning"), "Check in with {parent} about how {child} is recovering",
          handle_with_care=True),
    Story("Text exchange. {parent} let us know the police have arrested two adults linked to what happened to "
          "{child}. {parent} is relieved but anxious about what comes next; offered a call tomorrow.",
          ("listening", "information"), "Call {parent} about what happens after the arrests", channel="text"),
    Story("Talked {parent} through the National Referral Mechanism referral the police have made for {child} and "
          "what a decision would mean. Nobody had explained it to {parent}, so we agreed to ask the officer in the "
          "case for an update.",
          ("advocacy", "information", "police"), "Ask the officer in the case for an update on the NRM referral"),
    Story("Went through the safety plan with {parent}: who {child} can call, where the spare key is kept and what "
          "{parent} will do if {they} is not home by 10pm. {parent} said having it written down helps.",
          ("safety_planning",)),
    Story("{parent} asked about meeting other parents who have been through something similar. Explained the "
          "parents' group that meets online on Tuesday evenings; {parent} would like to try it.",
          ("peer_support", "signposting"), "Send {parent} the joining details for the online parents' group"),
    Story("{parent} is worried about {child} giving evidence at the trial next month. Explained the support the "
          "witness service offers and what special measures are, such as giving evidence by video link.",
          ("court", "information"), "Contact the witness service about a pre-trial visit for {child}"),
    Story("{child}'s social worker has changed again and {parent} feels they have to tell the whole story from the "
          "start each time. Agreed to help {parent} write a short summary to share with the new worker.",
          ("csc", "advocacy"), "Help {parent} finish the summary for the new social worker"),
    Story("Befriending session: met {parent} for a coffee near home. {parent} talked about how the last few months "
          "have affected the whole family and said it helped to talk to someone outside it.",
          ("befriending", "listening"), channel="befriending"),
    Story("{parent} rang because {child} is getting messages demanding money {they} supposedly owes. Explained debt "
          "bondage and that this is not {child}'s fault or {parent}'s. Talked through telling the police and keeping "
          "{child} close to home for now.",
          ("information", "police", "safety_planning"),
          "Check whether {parent} has spoken to the police about the debt messages", CRIMINAL),
    Story("Short call. {parent} wanted to let us know {child} has started a course at college and is enjoying it. "
          "Shared the good news and talked about keeping the routine going.",
          ("listening",)),
    Story("{parent} wants to complain about how a police officer spoke to {child} when {they} was found. Explained "
          "how to make a complaint and offered to help draft it.",
          ("police", "advocacy"), "Send {parent} a draft of the complaint to the police"),
    Story("{parent} says {child} is sleeping better and has stopped seeing the older group. Reviewed the safety plan "
          "together and took out the parts no longer needed.",
          ("safety_planning", "listening")),
    Story("{parent} told us {child} has disclosed that an adult {they} met online has been pressuring {them} for "
          "sexual contact. {parent} listened to {child} and believed {them}, which matters a great deal. Talked "
          "through next steps with the police and children's social care.",
          ("listening", "police", "csc"), "Find out when {child}'s police interview will be", SEXUAL,
          handle_with_care=True),
    Story("{parent} has been keeping {child}'s phone overnight after more messages from unknown numbers, and {child} "
          "is angry about it. Talked about other ways to keep {them} safe online that keep the relationship going.",
          ("safety_planning", "information"), "Send {parent} the guide to phone and app safety settings", SEXUAL),
]

CLOSING_CALLS = {
    Family.ClosureReason.SUPPORT_COMPLETE: Story(
        "Review call. {parent} feels things are much more settled: {child} is in school most days and has stopped "
        "seeing the older group. Agreed together that support can end for now, and that {parent} can get back in "
        "touch at any time.",
        ("listening", "signposting")),
    Family.ClosureReason.FAMILY_CHOSE_TO_END: Story(
        "{parent} would like a break from our calls for now; there is a lot going on at home. Respected this and "
        "reminded {parent} that the line is there whenever they want it.",
        ("listening",)),
    Family.ClosureReason.MOVED_TO_OTHER_SERVICE: Story(
        "{parent} is now being supported by the local parents' support service, which can meet in person. With "
        "{parent}'s agreement we will close our record; {parent} knows how to reach us again.",
        ("signposting",)),
}

GENERAL_FOLLOW_UP = "Call {parent} to see how the week has gone"
REMINDERS = [
    "Check in with {parent} before {child}'s review meeting",
    "Ask {parent} whether the school has set up the reduced timetable",
    "Call {parent} after the child protection conference",
]

# --- Helpers ---------------------------------------------------------------------------------


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _weekday_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass
class FamilyPlan:
    team: str
    area: str
    key_worker: str | None
    state: str  # overdue, today, future, none (open) or closed


class Command(BaseCommand):
    help = "Fill the database with fictional demo teams, sign-ins and families (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--families", type=int, default=50, help="How many families to create (default 50).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed, for a repeatable data set.")
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off. Never on a live system.")

    def handle(self, *args, families, seed, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates sign-ins with published passwords, so it only runs with DEBUG on. "
                "Use --force to run it anyway (never on a system holding real data)."
            )
        if families < 1:
            raise CommandError("--families must be at least 1.")
        if User.objects.filter(email__in=[u.email for u in DEMO_USERS]).exists():
            self.stdout.write("Demo data already present: nothing to do.")
            # Demo data seeded before the second factor existed gets its demo apps now.
            demo_apps_create(User.objects.filter(email__in=[u.email for u in DEMO_USERS]))
            self._print_sign_ins()
            return

        started = clock.monotonic()
        self.rng = random.Random(seed)  # noqa: S311 - made-up demo data, not security
        self.today = timezone.localdate()
        self.tz = timezone.get_current_timezone()
        self.phone_counter = 0
        self.counts = {"contacts": 0, "follow_ups": 0, "closed": 0, "referrals": 0}
        with transaction.atomic():
            self._load_reference_data()
            # The demo's teams and accounts are its set-up, nobody's action; everything people then
            # do is attributed to them.
            with disable_auditlog():
                self._create_teams_and_users()
            for plan in self._plans(families):
                self._create_family(plan)
            self._call_corrections()
            self._challenges()
            self._local_threshold()
            self._safety_work()
            self._meetings()
            self._ratings(seed)
            self._legal_hold()
            self._past_retention()
            self._breaches()
            self._subject_access_request()
            # Deadlines that passed while the demo "happened" are flagged as the periodic job would.
            flagged = raise_overdue_flags().flagged
        elapsed = clock.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"Created {len(TEAMS)} teams, {len(DEMO_USERS)} sign-ins and {families} fictional families "
            f"({self.counts['closed']} closed) with {self.counts['contacts']} calls and "
            f"{self.counts['follow_ups']} follow-ups, {self.counts['referrals']} referrals to children's social care "
            f"({flagged} overdue) in {elapsed:.1f} s."
        ))
        self._print_sign_ins()

    # --- Referrals to children's social care ----------------------------------------------------

    def _create_referral(self, family, child, worker, first_day):
        """A referral made around the first call, with as much of CSC's response as has happened:
        some answered on time, some late, some still waiting (and so flagged)."""
        rng, now = self.rng, timezone.now()
        made = self._at(_weekday_on_or_after(first_day)) + timedelta(hours=1)
        if made >= now - timedelta(days=1):
            return
        referral = Referral(local_authority=family.local_authority, csc_reference=f"CSC/{rng.randint(10000, 99999)}",
                            referred_by=_weighted(rng, {Referral.ReferredBy.CHARITY: 5, Referral.ReferredBy.PARENT: 3,
                                                        Referral.ReferredBy.SCHOOL: 2, Referral.ReferredBy.POLICE: 2}))
        with set_actor(worker):
            referral = referral_services.referral_create(
                user=worker, family=family, referral=referral, children=[child], referral_made_at=made,
                concern_raised_at=made - timedelta(days=rng.randint(1, 20)),
            )
            steps = [(Milestone.ACKNOWLEDGED, rng.randint(1, 6), "")]
            if rng.random() < 0.6:
                decision = _weighted(rng, {Referral.Decision.CHILD_IN_NEED: 4, Referral.Decision.CHILD_PROTECTION: 3,
                                           Referral.Decision.EARLY_HELP: 2, Referral.Decision.NO_FURTHER_ACTION: 1})
                steps.append((Milestone.DECISION, rng.choice([1, 1, 2, 4, 9, 15]), decision))
                if decision == Referral.Decision.CHILD_PROTECTION and rng.random() < 0.7:
                    steps.append((Milestone.STRATEGY_DISCUSSION, rng.randint(1, 6), ""))
                if decision in (Referral.Decision.CHILD_IN_NEED, Referral.Decision.CHILD_PROTECTION):
                    steps.append((Milestone.ASSESSMENT_STARTED, rng.randint(2, 10), ""))
            when = made
            for milestone, days_later, decision in steps:
                when = when + timedelta(days=days_later)
                if when >= now:
                    break
                referral_services.referral_record_milestone(
                    user=worker, referral=referral, milestone=milestone, occurred_at=when, decision=decision)
            day = timezone.localdate(made) + timedelta(days=rng.randint(3, 10))
            for number in range(rng.choice([1, 1, 2, 3, 4, 6])):
                if day > self.today:
                    break
                referral_services.social_worker_allocate(
                    user=worker, referral=referral,
                    allocation=SocialWorkerAllocation(name=f"{rng.choice(WOMEN + MEN)} {rng.choice(SURNAMES)}",
                                                      team=rng.choice(CSC_TEAMS), allocated_on=day))
                day += timedelta(days=rng.randint(10, 40) + number)
            day = timezone.localdate(made) + timedelta(days=rng.randint(5, 30))
            for _ in range(rng.randint(0, 3)):
                if day > self.today:
                    break
                referral_services.parent_update_record(user=worker, referral=referral, update=ParentUpdate(
                    received_on=day, channel=rng.choice(ParentUpdate.Channel.values),
                    summary=rng.choice(PARENT_UPDATES)))
                day += timedelta(days=rng.randint(10, 45))
        self.counts["referrals"] += 1

    def _local_threshold(self):
        """Birmingham has agreed to acknowledge every referral within 2 working days: a local rule,
        in the history of changes, applied to its open referrals as the background task does."""
        manager = self.users["manager"]
        rule = ThresholdRule(
            local_authority=self.teams[BIRMINGHAM].local_authority, from_milestone=Milestone.REFERRAL_MADE,
            to_milestone=Milestone.ACKNOWLEDGED, amount=2, unit=ThresholdRule.Unit.WORKING_DAYS,
            source="Birmingham Children's Trust and the charity, local agreement 2026",
        )
        with set_actor(manager):
            change = referral_services.threshold_rule_save(user=manager, rule=rule)
            referral_services.threshold_change_apply(change.pk)

    # --- Calls put right ------------------------------------------------------------------------

    def _call_corrections(self):
        """The demo caseworker's families show each way a logged call is put right: one amended (it ran
        on after the note was saved), one logged on the wrong family and moved to the right one, and
        one logged twice and struck through."""
        worker = self.users["caseworker"]
        families = list(
            Family.objects.filter(key_worker=worker, status=Family.Status.OPEN).order_by("reference")[:3]
        )
        if not families:
            return
        now = timezone.now()
        with set_actor(worker):
            latest = families[0].contacts.order_by("-occurred_at").first()
            if latest is not None:
                latest.duration_minutes += 10
                call_services.contact_amend(
                    user=worker, contact=latest, expected_version=latest.version,
                    support_given=list(latest.support_given.all()),
                    reason="The call ran on after the note was saved.",
                )
                twice = Contact(
                    occurred_at=latest.occurred_at, duration_minutes=latest.duration_minutes, channel=latest.channel,
                    spoke_with=latest.spoke_with, summary=latest.summary, handle_with_care=latest.handle_with_care,
                    created_at=latest.created_at + timedelta(minutes=2),
                )
                call_services.contact_log(
                    user=worker, family=families[0], contact=twice, support_given=list(latest.support_given.all())
                )
                call_services.contact_strike(
                    user=worker, contact=twice, reason="Logged twice: the same call is just below.",
                    expected_version=twice.version,
                )
                self.counts["contacts"] += 1
            if len(families) < 2:
                return
            right = families[-1]
            carer = right.people.filter(kind=Person.Kind.CARER).order_by("pk").first()
            child = right.people.filter(kind=Person.Kind.CHILD).order_by("pk").first()
            parent, young_person = carer.first_name if carer else "Mum", child.first_name if child else "her son"
            wrong = Contact(
                occurred_at=now - timedelta(hours=3), duration_minutes=20, channel=Contact.Channel.PHONE,
                summary=f"{parent} rang to say {young_person} came home late again and would not say where they had "
                "been. Talked through what to write down and when to ring the police.",
                created_at=now - timedelta(hours=2, minutes=30),
            )
            follow_up = FollowUp(
                description="Ring back to see how the weekend went", owner=worker,
                due_on=_weekday_on_or_after(self.today + timedelta(days=3)), created_at=wrong.created_at,
            )
            call_services.contact_log(
                user=worker, family=families[0], contact=wrong, follow_up=follow_up,
                support_given=[self.support_categories["listening"]],
            )
            call_services.contact_move(
                user=worker, contact=wrong, to_family=right, expected_version=wrong.version,
                reason="Logged on the wrong family: both families' pages were open.",
            )
            self.counts["contacts"] += 1
            self.counts["follow_ups"] += 1

    def _challenges(self):
        """Two of the demo caseworker's calls that a parent says are wrong: one corrected by amending
        the call (what it said before stays in its history), one still open, marked "Challenged" on
        the family's timeline."""
        worker = self.users["caseworker"]
        families = Family.objects.filter(key_worker=worker, status=Family.Status.OPEN).order_by("reference")[:2]
        with set_actor(worker):
            for family, corrected in zip(families, (True, False), strict=False):
                call = (family.contacts.filter(struck_at__isnull=True, spoke_with__kind=Person.Kind.CARER)
                        .select_related("spoke_with").order_by("-occurred_at").first())
                if call is None:
                    continue
                parent = call.spoke_with.first_name
                if corrected:
                    wrong = f"The note reads as if {parent} agreed to everything we suggested. {parent} did not."
                    should_say = f"{parent} said they would think about the suggestions and talk them over at home."
                else:
                    wrong = f"{parent} says the school has not refused to help: {parent} had not asked them yet."
                    should_say = f"{parent} had not yet asked the school for help."
                challenge = rectification.challenge_record(user=worker, family=family, entry=call, challenge=Challenge(
                    raised_by=call.spoke_with, received_on=self.today, what_is_wrong=wrong,
                    what_it_should_say=should_say,
                ))
                if not corrected:
                    continue
                call.summary = f"{call.summary}\n\n{should_say}"
                amendment = call_services.contact_amend(
                    user=worker, contact=call, expected_version=call.version,
                    support_given=list(call.support_given.all()), reason=f"{parent} said the note was wrong.",
                )
                rectification.challenge_decide(
                    user=worker, challenge=challenge, outcome=Challenge.Outcome.CORRECTED, reason="",
                    expected_version=challenge.version, amendment=amendment,
                )

    # --- The parent liaison officer's work ------------------------------------------------------

    def _safety_work(self):
        """For the Birmingham PLO's families: safety plans with several versions, a child missing
        now and one back without a return home interview, and intelligence two families gathered
        about the same car and phone, written differently."""
        plo = self.users["plo"]
        families = list(
            Family.objects.filter(team=self.teams[BIRMINGHAM], status=Family.Status.OPEN).order_by("pk")[:3]
        )
        if len(families) < 2:
            return
        now = timezone.now()
        with set_actor(plo):
            for number, family in enumerate(families):
                child = family.people.filter(kind=Person.Kind.CHILD).order_by("pk").first()
                if child is not None:
                    self._safety_plan(plo, family, child, overdue_review=number == 1)
            first_child = families[0].people.filter(kind=Person.Kind.CHILD).order_by("pk").first()
            second_child = families[1].people.filter(kind=Person.Kind.CHILD).order_by("pk").first()
            missing.missing_episode_record(
                user=plo, family=families[0], child=first_child, went_missing_at=now - timedelta(hours=9),
                reported_to_police_at=now - timedelta(hours=8), police_reference="WM-26-004417",
            )
            back = missing.missing_episode_record(
                user=plo, family=families[1], child=second_child, went_missing_at=now - timedelta(days=5),
                reported_to_police_at=now - timedelta(days=5) + timedelta(hours=1), police_reference="WM-26-004120",
                returned_at=now - timedelta(days=4), where_found="A flat in Wolverhampton",
            )
            missing.missing_episode_record(
                user=plo, family=families[1], child=second_child, went_missing_at=now - timedelta(days=40),
                returned_at=now - timedelta(days=39), where_found="A friend's house",
            )
            back.refresh_from_db()
            for family, registration, phone, source in (
                (families[0], "BD51 SMR", "07700 900461", "Mum saw the car outside school twice"),
                (families[1], "bd51smr", "+44 7700 900461", "Dad took the registration when Jay was dropped off"),
            ):
                intelligence.intelligence_record(user=plo, family=family, entry=IntelligenceEntry(
                    kind=IntelligenceEntry.Kind.VEHICLE, observed_at=now - timedelta(days=6),
                    description="Grey Audi A3 with tinted windows; the driver calls himself 'Dee'.",
                    registration=registration, phone=phone, source=source,
                ))
            intelligence.intelligence_record(user=plo, family=families[0], entry=IntelligenceEntry(
                kind=IntelligenceEntry.Kind.HANDLE, observed_at=now - timedelta(days=20), platform="snapchat",
                handle="@Dee.Moneyz", description="Messages offering Tyler money to carry a bag.",
                source="Screenshots Mum kept", passed_to_police_on=self.today - timedelta(days=18),
                police_officer_or_unit="West Midlands Police, exploitation team", police_reference="WM-26-003102",
            ))
            # This family's parent withdrew consent to share with the police: the sheet for the police says so
            # and asks why it is right to share without it.
            carer = families[1].people.filter(kind=Person.Kind.CARER).order_by("pk").first()
            if carer is not None:
                police = services.consent_record(user=plo, family=families[1], consent=Consent(
                    kind=Consent.Kind.SHARE, agency_kind=AgencyKind.POLICE, agency="West Midlands Police",
                    given_by=carer, given_on=self.today - timedelta(days=60),
                    notes="Agreed at the first visit, so that the PLO can pass on what the family sees.",
                ))
                services.consent_withdraw(user=plo, consent=police, withdrawn_on=self.today - timedelta(days=12))

    def _meetings(self):
        """A MACE meeting for a Birmingham family with actions in every state: done on time, done
        late, dropped with a reason, chased, open and overdue, open and not yet due."""
        plo = self.users["plo"]
        family = Family.objects.filter(team=self.teams[BIRMINGHAM], status=Family.Status.OPEN).order_by("pk").first()
        if family is None:
            return
        held = timezone.now() - timedelta(days=21)
        child = family.people.filter(kind=Person.Kind.CHILD).order_by("pk").first()
        with set_actor(plo):
            authority = family.local_authority
            agencies = {
                kind: Agency.objects.get_or_create(name=name, local_authority=authority, defaults={"kind": kind})[0]
                for kind, name in (
                    (Agency.Kind.CSC, "Birmingham Children's Trust"), (Agency.Kind.POLICE, "West Midlands Police"),
                    (Agency.Kind.SCHOOL, "Park Hill Academy"), (Agency.Kind.HEALTH, "School nursing service"),
                )
            }
            social_worker = Professional.objects.create(agency=agencies[Agency.Kind.CSC], full_name="Jo O'Neill",
                                                        role="Social worker")
            meeting = meeting_services.meeting_record(
                user=plo, meeting=Meeting(family=family, kind=Meeting.Kind.MACE, held_at=held, parent_invited=True,
                                          parent_attended=True, parent_received_minutes=True,
                                          minutes_accurate=Meeting.MinutesAccurate.PARTLY,
                                          parent_correction="I said the car came twice a week, not once."),
                children=[child] if child else [], agencies=list(agencies.values()), professionals=[social_worker],
            )
            agreed = held.date()
            actions = [
                ("Share the car's registration with the police intelligence unit", Agency.Kind.CSC, 2, "done", 1),
                ("Visit the address where Tyler was found", Agency.Kind.POLICE, 7, "done", 12),
                ("Refer to the youth club's mentoring scheme", Agency.Kind.HEALTH, 14, "dropped", 0),
                ("Tell Mum the same day about any missed lesson", Agency.Kind.SCHOOL, 5, "open", 0),
                ("Arrange a return home interview after every episode", Agency.Kind.CSC, 10, "open", 0),
                ("Review the safety plan with the family", Agency.Kind.CSC, 30, "open", 0),
            ]
            for description, kind, due_in, state, done_after in actions:
                action = meeting_services.action_add(user=plo, meeting=meeting, action=MeetingAction(
                    description=description, agency=agencies[kind], due_on=agreed + timedelta(days=due_in)))
                if state == "done":
                    meeting_services.action_mark_done(user=plo, action=action, done_on=agreed + timedelta(
                        days=done_after), evidence="Confirmed at the core group", expected_version=action.version)
                elif state == "dropped":
                    meeting_services.action_drop(user=plo, action=action, reason="The family chose another scheme",
                                                 expected_version=action.version)
                elif due_in < 21:
                    meeting_services.action_chase(user=plo, action=action, chased_on=self.today - timedelta(days=3),
                                                  how="Rang the school office", expected_version=action.version)

    def _ratings(self, seed):
        """Parents' ratings over time, asked in their calls: first at the first call, then at a call
        about every three months where the family has been supported long enough, and as support
        ended in most closed families. Mostly better over time, some the same or worse; the question
        about children's social care in a few. Recorded through the service, so each is audited and
        its next check-in has a clock: some parents are overdue to be asked again. A random stream of
        its own, so the rest of the demo is the same with or without it."""
        rng = random.Random(f"ratings-{seed}")  # noqa: S311 - made-up demo data, not security
        every = timedelta(days=round(CHECK_IN_EVERY_MONTHS * 30.4) - 10)
        families = Family.objects.select_related("local_authority").prefetch_related("contacts__spoke_with",
                                                                                    "contacts__worker")
        for family in families.order_by("pk"):
            if rng.random() < 0.15:
                continue  # not asked yet
            calls = sorted((c for c in family.contacts.all() if c.spoke_with and c.spoke_with.kind == "carer"),
                           key=lambda c: c.occurred_at)
            if not calls:
                continue
            asks_csc = rng.random() < 0.3
            closing = family.status == Family.Status.CLOSED and rng.random() < 0.8
            asked: dict[int, CheckIn] = {}
            for number, call in enumerate(calls):
                parent, last = call.spoke_with, asked.get(call.spoke_with.pk)
                is_closing = closing and number == len(calls) - 1 and last is not None
                due = last is None or call.occurred_at - datetime.combine(
                    last.asked_on, time(12), tzinfo=self.tz) >= every
                if not (due or is_closing):
                    continue
                scores = {}
                for name in ("confidence", "understanding", "wellbeing", *(("csc_support",) if asks_csc else ())):
                    before = getattr(last, name) if last else None
                    if before is None:
                        score = rng.choice((1, 2, 2, 3, 3))
                    else:
                        score = before + _weighted(rng, {2: 2, 1: 5, 0: 2, -1: 1})
                    if score is not None and rng.random() < 0.05:
                        score = None  # not asked, or the parent did not want to answer
                    scores[name] = None if score is None else min(5, max(1, score))
                if not any(value is not None for value in scores.values()):
                    scores["wellbeing"] = 3
                occasion = CheckIn.Occasion.CLOSURE if is_closing else CheckIn.Occasion.REVIEW
                with set_actor(call.worker):
                    asked[parent.pk] = outcome_services.check_in_record(
                        user=call.worker, family=family, contact=call, check_in=CheckIn(
                            parent=parent, asked_on=timezone.localdate(call.occurred_at), occasion=occasion, **scores,
                        ),
                    )

    def _legal_hold(self):
        """A legal hold on the Birmingham family whose intelligence went to the police: the
        investigation is open, so nothing of the family's goes until the hold is lifted."""
        family = Family.objects.filter(team=self.teams[BIRMINGHAM], status=Family.Status.OPEN).order_by("pk").first()
        if family is None:
            return
        admin = self.users["admin"]
        with set_actor(admin):
            data_protection_services.hold_place(
                user=admin, family=family, reason=LegalHold.Reason.POLICE_INVESTIGATION,
                details="West Midlands Police asked us to keep the record: exploitation team, WM-26-003102.",
                review_on=self.today + timedelta(days=30),
            )

    def _past_retention(self):
        """Three closed families from long ago, for the retention dry run: their last call was eight
        years ago and their children are grown up, so the closed family rule lets them go; a
        complaint about one is still open, so a legal hold keeps it."""
        old = list(Family.objects.filter(status=Family.Status.CLOSED).order_by("-pk")[:3])
        if len(old) < 3:
            return
        years_ago = timedelta(days=8 * 365 + 2)
        ids = [family.pk for family in old]
        # Set-up, not anyone's action: the dates are moved back as if the families had been closed then.
        with disable_auditlog():
            Contact.objects.filter(family_id__in=ids).update(occurred_at=F("occurred_at") - years_ago,
                                                             created_at=F("created_at") - years_ago)
            Family.objects.filter(pk__in=ids).update(created_at=F("created_at") - years_ago,
                                                     closed_on=F("closed_on") - years_ago)
            Person.objects.filter(family_id__in=ids, kind=Person.Kind.CHILD).update(
                date_of_birth=_years_before(self.today, 27))
        admin = self.users["admin"]
        with set_actor(admin):
            data_protection_services.hold_place(
                user=admin, family=old[0], reason=LegalHold.Reason.COMPLAINT,
                details="The parent's complaint about how their call was handled is with the trustees (C-2026-014).",
                review_on=self.today + timedelta(days=60),
            )

    def _breaches(self):
        """Two entries in the breach log: an e-mail sent to the wrong address, found two days ago and
        not yet decided (its 72 hours run out tomorrow); and a lost notebook from last month, found to
        hold nothing identifying, decided not reportable, with what was done."""
        admin = self.users["admin"]
        now = timezone.now()
        with set_actor(admin):
            breach_services.breach_record(user=admin, breach=Breach(
                what_happened="A chronology pack was e-mailed to a school's general address instead of the "
                              "designated safeguarding lead's.",
                discovered_at=now - timedelta(hours=50), happened_at=now - timedelta(hours=52),
                how_discovered="The school's office rang to say it had arrived.",
                data_involved="One family's chronology: names, the child's school and the referral's dates.",
                sensitive_data=Breach.SensitiveData.YES, people_affected=4, risk=Breach.Risk.RISK,
            ))
            lost = breach_services.breach_record(user=admin, breach=Breach(
                what_happened="A notebook was left on a train after a home visit.",
                discovered_at=now - timedelta(days=30), happened_at=now - timedelta(days=30, hours=3),
                how_discovered="The PLO noticed it missing the same evening.",
                data_involved="Handwritten notes of the visit: first names only, no addresses.",
                sensitive_data=Breach.SensitiveData.NO, people_affected=2, people_affected_estimated=True,
                risk=Breach.Risk.UNLIKELY,
            ))
            lost = breach_services.breach_decide(
                user=admin, breach=lost, decision=Breach.Decision.NOT_REPORTABLE,
                reason="The notes hold first names only and nothing that places the family: a risk to them is "
                       "unlikely.", expected_version=lost.version, now=now - timedelta(days=29))
            breach_services.breach_add_action(
                user=admin, breach=lost, done_at=now - timedelta(days=29), what="Asked the rail company's lost "
                "property office; told the family what happened.", done_by="The PLO")

    def _subject_access_request(self):
        """An open subject access request from a Birmingham parent, received a week ago, for the
        review screen to show."""
        carer = (Person.objects.filter(family__team=self.teams[BIRMINGHAM], family__status=Family.Status.OPEN,
                                       kind=Person.Kind.CARER).order_by("family_id", "pk").first())
        if carer is None:
            return
        admin = self.users["admin"]
        with set_actor(admin):
            data_protection_services.subject_access_record(
                user=admin, family=carer.family, person=carer, asked_by=SubjectAccessRequest.AskedBy.THEMSELF,
                asked_by_name="", identity_check=SubjectAccessRequest.IdentityCheck.KNOWN_CONTACT,
                identity_details="Rang back on the mobile number we hold; they confirmed their address.",
                received_on=self.today - timedelta(days=7),
            )

    def _safety_plan(self, plo, family, child, *, overdue_review):
        plan = SafetyPlan(child=child, family=family, what_is_working_well=(
            f"{child.first_name} talks to their mum most evenings. Grandad picks them up from school on "
            "Tuesdays and Thursdays."
        ), warning_signs="New clothes or phones nobody can explain; staying out after 9pm; a second phone.",
            parent_words="I want them to know they can always come home, whatever has happened.",
            emergency_contacts="Police 999; PLO Daniel 0121 496 0032")
        plan_services.safety_plan_save(user=plo, plan=plan, expected_version=0, what_changed="Safety plan started")
        rows = [
            Worry(who_is_worried="Mum and school", worry="Older young people waiting outside school.",
                  what_could_happen="Being drawn into carrying drugs.", safety_goal="Gets home safely every day."),
            PersonOfConcern(name_or_description="'Dee', about 20, drives a grey Audi", vehicles="BD51 SMR",
                            phone_numbers="07700 900461"),
            PlanStep(if_this_happens="Not home by 9pm and not answering", when_missing=True,
                     then_we_do="Mum rings the police on 101 (999 if worried), then the PLO."),
            Commitment(who="School", commitment="Tell Mum the same day if they miss a lesson.", owner="Head of year",
                       due_on=self.today - timedelta(days=3)),
            Commitment(who="Police", commitment="Visit the address the car was seen at.", owner="PC Khan",
                       due_on=self.today + timedelta(days=10)),
        ]
        for row in rows:
            plan.refresh_from_db()
            plan_services.plan_row_save(user=plo, plan=plan, row=row, expected_version=plan.version)
        plan.refresh_from_db()
        plan.review_on = self.today - timedelta(days=2) if overdue_review else self.today + timedelta(days=12)
        plan.agreed_by = f"Mum, {child.first_name} and Daniel (PLO)"
        plan.agreed_on = self.today - timedelta(days=14)
        plan.child_words = "I don't want to get anyone in trouble."
        plan_services.safety_plan_save(user=plo, plan=plan, expected_version=plan.version,
                                       what_changed="Agreed with the family; review date set")
        for rated_by, score, days in (("Mum", 3, 30), ("Mum", 5, 7), (child.first_name, 6, 7), ("PLO", 4, 7)):
            plan_services.safety_rating_add(user=plo, plan=plan, rating=SafetyRating(
                rated_by=rated_by, score=score, rated_on=self.today - timedelta(days=days)))

    # --- Output --------------------------------------------------------------------------------

    def _print_sign_ins(self):
        rows = [("Role", "E-mail", "Password")] + [(u.label, u.email, u.password) for u in DEMO_USERS]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        self.stdout.write("")
        self.stdout.write(f"Demo sign-ins (all fictional) at {SIGN_IN_URL}")
        for number, row in enumerate(rows):
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
            if number == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
        self.stdout.write("")
        self.stdout.write(
            "After the password, each sign-in asks for a code from an authenticator app. Print the current one with"
        )
        self.stdout.write("  DEBUG=1 .venv/bin/python manage.py demo_code <e-mail>")
        self.stdout.write(
            "or add the sign-in's key below to an authenticator app (demo keys, as public as the passwords):"
        )
        key_width = max(len(u.email) for u in DEMO_USERS)
        for user in DEMO_USERS:
            if user.email == WITHOUT_APP:
                self.stdout.write(f"  {user.email.ljust(key_width)}  none yet: sets up an app at its first sign-in")
            else:
                self.stdout.write(f"  {user.email.ljust(key_width)}  {demo_key_for_app(user.email)}")

    # --- Set-up --------------------------------------------------------------------------------

    def _load_reference_data(self):
        self.exploitation_types = {t.code: t for t in ExploitationType.objects.all()}
        self.support_categories = {c.code: c for c in SupportCategory.objects.all()}
        needed_types = {"cce", "county_lines", "cse", "online", "trafficking", "radicalisation"}
        needed_support = {code for story in self._all_stories() for code in story.support}
        missing = (needed_types - set(self.exploitation_types)) | (needed_support - set(self.support_categories))
        if missing:
            raise CommandError(f"Reference data is missing ({', '.join(sorted(missing))}): run migrate first.")

        # Every postcode must really lie in its area's authority, or the demo would contradict the lookup.
        self.postcode_authority = {}
        problems = []
        entries = [(postcode, code) for code, places in AREAS.values() for postcode, _town in places]
        for postcode, code in sorted(entries):  # by first letter: each postcode file is read once
            authority = local_authority_for_postcode(postcode)
            if authority is None or authority.code != code:
                problems.append(f"{postcode} ({authority.code if authority else 'not found'}, expected {code})")
            self.postcode_authority[postcode] = authority
        if problems:
            raise CommandError(
                "These demo postcodes do not map to the expected local authority (is the postcode "
                "directory package installed?): " + "; ".join(problems)
            )

    @staticmethod
    def _all_stories():
        return [*FIRST_CALLS, *ONGOING_CALLS, *CLOSING_CALLS.values()]

    def _create_teams_and_users(self):
        self.teams = {}
        for key, (name, code) in TEAMS.items():
            authority = None
            if code:
                authority = LocalAuthority.objects.filter(code=code).first()
                if authority is None:
                    raise CommandError(f"Local authority {code} is missing: run migrate first.")
            kind = Team.Kind.PARENT_LIAISON if code else Team.Kind.NATIONAL
            self.teams[key], _ = Team.objects.get_or_create(
                name=name, defaults={"kind": kind, "local_authority": authority}
            )

        hashes = {}  # hashing is deliberately slow: once per distinct password
        self.users = {}
        for demo in DEMO_USERS:
            if demo.password not in hashes:
                hashes[demo.password] = make_password(demo.password)
            user = User.objects.create_user(
                demo.email, password=None, full_name=demo.full_name,
                is_staff=demo.superuser, is_superuser=demo.superuser,
            )
            user.password = hashes[demo.password]
            user.date_joined = timezone.now() - timedelta(days=400)
            user.save(update_fields=["password", "date_joined"])
            Membership.objects.bulk_create(
                [Membership(user=user, team=self.teams[team], role=role) for team, role in demo.memberships]
            )
            self.users[demo.key] = user
        demo_apps_create(self.users.values())

    def _plans(self, count):
        """Which team, area, key worker and follow-up state each family gets; deterministic by position."""
        rng = self.rng
        national_number = 0
        caseworker_states = ["overdue", "today", "future", "today", "overdue", "future", "none"]
        caseworker_open = 0
        plans = []
        for number in range(count):
            team = {2: BIRMINGHAM, 5: LEEDS, 8: LANCASHIRE}.get(number % 10, NATIONAL)
            if team == NATIONAL:
                area = rng.choice(ELSEWHERE) if rng.random() < 0.7 else rng.choice(list(TEAM_PLO))
                key_worker = NATIONAL_KEY_WORKER_CYCLE[national_number % len(NATIONAL_KEY_WORKER_CYCLE)]
                national_number += 1
                if number % 25 == 16:
                    key_worker = None  # waiting to be allocated
            else:
                area = team
                key_worker = TEAM_PLO[team]
            if number % 20 == 9:
                state = "closed"
            elif key_worker == "caseworker":
                state = caseworker_states[caseworker_open % len(caseworker_states)]
                caseworker_open += 1
            else:
                state = _weighted(rng, {"overdue": 2, "today": 1, "future": 4, "none": 2})
            plans.append(FamilyPlan(team=team, area=area, key_worker=key_worker, state=state))
        return plans

    # --- One family ----------------------------------------------------------------------------

    def _phone(self):
        self.phone_counter += 1
        return f"07700 900{self.phone_counter % 1000:03d}"

    def _at(self, day: date) -> datetime:
        """A time during the working day on ``day`` (UK time), as an aware UTC datetime."""
        minute = self.rng.randint(9 * 60 + 15, 17 * 60)
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.tz)
        return local.astimezone(UTC)

    def _exploitation_types(self):
        rng = self.rng
        first = _weighted(rng, {"cce": 30, "county_lines": 25, "cse": 25, "online": 12, "trafficking": 4,
                                "radicalisation": 3})
        codes = [first]
        partners = {"cce": ["county_lines", "cse"], "county_lines": ["cce", "trafficking"], "cse": ["online", "cce"],
                    "online": ["cse", "radicalisation"], "trafficking": ["county_lines", "cse"],
                    "radicalisation": ["online"]}
        if rng.random() < 0.45:
            codes.append(rng.choice(partners[first]))
        return codes

    def _child(self, surname, *, youngest=11):
        rng = self.rng
        boy = rng.random() < 0.6
        age = rng.randint(youngest, 17)
        latest = _years_before(self.today, age)
        earliest = _years_before(self.today, age + 1) + timedelta(days=1)
        looked_after = rng.random() < 0.07
        child = Person(
            kind=Person.Kind.CHILD,
            first_name=rng.choice(BOYS if boy else GIRLS),
            last_name=surname,
            date_of_birth=earliest + timedelta(days=rng.randint(0, (latest - earliest).days)),
            school="" if age >= 17 and rng.random() < 0.5 else rng.choice(SCHOOLS),
            additional_needs=rng.choice(ADDITIONAL_NEEDS) if rng.random() < 0.25 else "",
            risk_level=_weighted(rng, {Person.RiskLevel.LOW: 25, Person.RiskLevel.MEDIUM: 45,
                                       Person.RiskLevel.HIGH: 30}),
            looked_after=looked_after,
            placed_out_of_area=looked_after and rng.random() < 0.5,
        )
        pronouns = {"they": "he", "They": "He", "them": "him", "their": "his"} if boy else \
                   {"they": "she", "They": "She", "them": "her", "their": "her"}
        return child, pronouns

    def _carer(self, kind, surname):
        rng = self.rng
        woman = rng.random() < 0.5
        if kind == Relationship.Kind.MOTHER:
            woman = True
        elif kind == Relationship.Kind.FATHER:
            woman = False
        if kind == Relationship.Kind.GRANDPARENT:
            first = rng.choice(GRANDMOTHERS if woman else GRANDFATHERS)
            label = "Nan" if woman else "Grandad"
        else:
            first = rng.choice(WOMEN if woman else MEN)
            label = {Relationship.Kind.MOTHER: "Mum", Relationship.Kind.FATHER: "Dad"}.get(kind, first)
        if kind == Relationship.Kind.KINSHIP_CARER and rng.random() < 0.6:
            surname = rng.choice(SURNAMES)  # an aunt or family friend, often with another surname
        if kind == Relationship.Kind.MOTHER and rng.random() < 0.1:
            surname = ""  # a parent on a helpline often gives only a first name
        email = ""
        if rng.random() < 0.6 and surname:
            address = unicodedata.normalize("NFKD", f"{first}.{surname}").encode("ascii", "ignore").decode()
            email = f"{address}@example.com".lower().replace("'", "")
        carer = Person(kind=Person.Kind.CARER, first_name=first, last_name=surname, phone=self._phone(), email=email)
        return carer, label

    def _create_family(self, plan: FamilyPlan):
        rng, today = self.rng, self.today
        code, places = AREAS[plan.area]
        postcode, town = rng.choice(places)
        surname = rng.choice(SURNAMES)
        main_kind = _weighted(rng, {Relationship.Kind.MOTHER: 60, Relationship.Kind.FATHER: 15,
                                    Relationship.Kind.GRANDPARENT: 13, Relationship.Kind.KINSHIP_CARER: 12})
        carer, parent = self._carer(main_kind, surname)
        child, pronouns = self._child(surname)
        types = self._exploitation_types()

        # When: the last call depends on what the family's follow-up should look like today.
        state = plan.state
        is_demo_caseworker = plan.key_worker == "caseworker"
        last_ago = {
            "overdue": rng.randint(4, 20),
            "today": rng.randint(1, 5) if is_demo_caseworker else rng.randint(1, 12),
            "future": rng.randint(1, 5) if is_demo_caseworker else rng.randint(1, 10),
            "none": rng.randint(1, 40),
            "closed": rng.randint(15, 60),
        }[state]
        calls = rng.randint(1, 8)
        if state == "closed":
            calls = max(calls, 3)
        last_day = _weekday_on_or_before(today - timedelta(days=last_ago))
        first_day = last_day
        if calls > 1:
            first_ago = min(182, last_ago + rng.randint(5 * (calls - 1), 150))
            first_day = _weekday_on_or_before(today - timedelta(days=first_ago))
            between = [first_day + timedelta(days=n) for n in range(1, (last_day - first_day).days)]
            between = [day for day in between if day.weekday() < 5]
            middle = sorted(rng.sample(between, min(calls - 2, len(between))))
            days = [first_day, *middle, last_day]
        else:
            days = [last_day]

        # Who: the key worker mostly, colleagues in the same team sometimes.
        users = self.users
        key_worker = users[plan.key_worker] if plan.key_worker else None
        if plan.team == NATIONAL:
            workers = [
                key_worker if key_worker and rng.random() < 0.75 else users[rng.choice(NATIONAL_CASEWORKERS)]
                for _ in days
            ]
            if key_worker:
                workers[-1] = key_worker
        else:
            workers = [key_worker for _ in days]

        first_call = self._at(first_day)
        created_at = first_call + timedelta(minutes=rng.randint(20, 90))
        other_place = rng.choice(OTHER_TOWNS)
        words = {"parent": parent, "child": child.first_name, "other_town": other_place, **pronouns}

        family = Family(
            team=self.teams[plan.team],
            key_worker=key_worker,
            address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}\n{town}",
            postcode=postcode,
            local_authority=self.postcode_authority[postcode],
            source=_weighted(rng, {Family.Source.PLO: 5, Family.Source.POLICE: 3, Family.Source.CSC: 2})
            if plan.team != NATIONAL else
            _weighted(rng, {Family.Source.SELF: 40, Family.Source.POLICE: 20, Family.Source.CSC: 12,
                            Family.Source.SCHOOL: 12, Family.Source.HEALTH: 6, Family.Source.VOLUNTARY: 6,
                            Family.Source.OTHER: 4}),
            preferred_channel=_weighted(rng, {Family.Channel.PHONE: 70, Family.Channel.TEXT: 15,
                                              Family.Channel.EMAIL: 8, Family.Channel.VIDEO: 7}),
            safe_contact_times=rng.choice(SAFE_CONTACT_TIMES),
            voicemail_ok=rng.random() < 0.5,
            texts_ok=rng.random() < 0.7,
            contact_notes=rng.choice(CONTACT_NOTES) if rng.random() < 0.3 else "",
            created_at=created_at,
        )
        carer.created_at = child.created_at = created_at
        carers, children = [carer], [child]

        # The family is added by whoever took the first call.
        with set_actor(workers[0]):
            services.family_create(
                user=workers[0], family=family, carer=carer, child=child, relationship_kind=main_kind,
                exploitation_types=[self.exploitation_types[c] for c in types],
            )
            if rng.random() < 0.12:
                sibling, _ = self._child(surname, youngest=11)
                sibling.created_at = created_at
                sibling.risk_level = Person.RiskLevel.LOW
                services.person_add(
                    user=workers[0], family=family, person=sibling,
                    exploitation_types=[self.exploitation_types[rng.choice(types)]],
                    related_people=[carer], relationship_kind=main_kind,
                )
                children.append(sibling)
            second_kind = {Relationship.Kind.MOTHER: Relationship.Kind.FATHER,
                           Relationship.Kind.FATHER: Relationship.Kind.MOTHER,
                           Relationship.Kind.GRANDPARENT: Relationship.Kind.GRANDPARENT}.get(main_kind)
            if second_kind and rng.random() < 0.18:
                if second_kind == Relationship.Kind.FATHER and rng.random() < 0.3:
                    second_kind = Relationship.Kind.STEP_PARENT
                partner, _ = self._carer(second_kind, surname)
                partner.created_at = created_at
                services.person_add(user=workers[0], family=family, person=partner, related_people=children,
                                    relationship_kind=second_kind)
                carers.append(partner)
            services.consent_record(user=workers[0], family=family, consent=Consent(
                kind=Consent.Kind.STORE, given_by=carer, given_on=first_day,
                notes="Given on the first call, after explaining how we keep records.",
            ))
            if rng.random() < 0.4:
                agency_kind, agency = rng.choice([
                    (AgencyKind.CSC, f"{family.local_authority.name} children's social care"),
                    (AgencyKind.POLICE, "Police (officer in the case)"),
                    (AgencyKind.SCHOOL, child.school or "College safeguarding lead"),
                ])
                services.consent_record(user=workers[0], family=family, consent=Consent(
                    kind=Consent.Kind.SHARE, agency_kind=agency_kind, agency=agency, given_by=carer,
                    given_on=days[min(1, len(days) - 1)],
                    notes="So that we can speak up for the family in meetings.",
                ))

        # The calls, each by the worker who made it.
        closure_reason = ""
        if state == "closed":
            closure_reason = rng.choice(list(CLOSING_CALLS))
        stories = [story for story in ONGOING_CALLS if not story.types or story.types & set(types)]
        firsts = [story for story in FIRST_CALLS if not story.types or story.types & set(types)]
        middle_stories = rng.sample(stories, min(len(stories), max(0, len(days) - 1)))
        to_complete = []
        for number, (day, worker) in enumerate(zip(days, workers, strict=True)):
            is_first, is_last = number == 0, number == len(days) - 1
            if is_last and state == "closed":
                story = CLOSING_CALLS[closure_reason]
            elif is_first:
                story = rng.choice(firsts)
            else:
                story = middle_stories[number - 1]
            occurred_at = first_call if is_first else self._at(day)
            channel = story.channel or (
                Contact.Channel.FACE_TO_FACE if plan.team != NATIONAL and rng.random() < 0.5 else
                _weighted(rng, {Contact.Channel.PHONE: 85, Contact.Channel.VIDEO: 15})
            )  # texts only where the summary says so: a long conversation reads oddly as a text
            duration = rng.randint(5, 15) if channel in (Contact.Channel.TEXT, Contact.Channel.EMAIL) else \
                rng.randint(15, 75)
            contact_created = occurred_at + timedelta(minutes=duration + rng.randint(5, 90))
            contact = Contact(
                occurred_at=occurred_at, duration_minutes=duration, channel=channel,
                spoke_with=rng.choice(carers) if len(carers) > 1 and rng.random() < 0.3 else carer,
                summary=story.summary.format(**words), handle_with_care=story.handle_with_care,
                created_at=contact_created,
            )
            owner = key_worker or worker
            follow_up = None
            description = (story.follow_up or GENERAL_FOLLOW_UP).format(**words)
            if is_last and state in ("overdue", "today", "future"):
                if state == "overdue":
                    due = last_day + timedelta(days=rng.randint(1, (today - last_day).days - 1))
                elif state == "today":
                    due = today
                else:
                    due = _weekday_on_or_after(today + timedelta(days=rng.randint(1, 14)))
                follow_up = FollowUp(description=description, owner=owner, due_on=due, created_at=contact_created)
            elif not is_last and story.follow_up and rng.random() < 0.7:
                due = min(_weekday_on_or_after(day + timedelta(days=rng.randint(2, 7))), today)
                follow_up = FollowUp(description=description, owner=owner, due_on=due, created_at=contact_created)
                to_complete.append(follow_up)
            with set_actor(worker):
                call_services.contact_log(
                    user=worker, family=family, contact=contact,
                    support_given=[self.support_categories[c] for c in story.support], follow_up=follow_up,
                )
            self.counts["contacts"] += 1
            self.counts["follow_ups"] += follow_up is not None

        # Follow-ups from earlier calls have been done (today: the service stamps the time itself).
        for follow_up in to_complete:
            with set_actor(follow_up.owner):
                call_services.follow_up_complete(user=follow_up.owner, follow_up=follow_up)

        if state != "closed" and rng.random() < 0.2:
            owner = key_worker or workers[-1]
            with set_actor(owner):
                call_services.follow_up_create(user=owner, family=family, follow_up=FollowUp(
                    description=rng.choice(REMINDERS).format(**words), owner=owner,
                    due_on=_weekday_on_or_after(today + timedelta(days=rng.randint(7, 28))),
                    created_at=self._at(last_day) + timedelta(hours=1),
                ))
            self.counts["follow_ups"] += 1

        if state != "closed" and rng.random() < 0.6:
            self._create_referral(family, child, key_worker or workers[0], first_day)

        if state == "closed":
            closer = key_worker or workers[-1]
            family.status = Family.Status.CLOSED
            family.closure_reason = closure_reason
            family.closed_on = min(last_day + timedelta(days=rng.randint(0, 5)), today)
            with set_actor(closer):
                services.family_update(user=closer, family=family, expected_version=family.version)
            self.counts["closed"] += 1
