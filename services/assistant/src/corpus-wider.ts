/**
 * Corpus utterances for forms people use that the interpreter once missed (issue 13): a priority word
 * before the noun of an add, picking one of the choices offered, what was completed on a day,
 * questions by priority, and weeks that say which days they cover. Read at the corpus's moment
 * (Wednesday 10 March 2027, 10:00 in New York); `corpus.test.ts` requires every one to pass.
 */
import { create, del, type Expected, FRIDAY, list, THIS_WEEK, TODAY, YESTERDAY } from "./corpus-kit";

/** [utterance, the intents expected, in order]; all must pass. */
export const WIDER_CORPUS: readonly (readonly [string, readonly Expected[]])[] = [
  // a priority word before the noun of an add
  [
    "add an important task to call the bank tomorrow",
    [
      create({
        title: "call the bank",
        priority: "high",
        due: { time: "2027-03-12T04:59:00.000Z", hasTime: false },
      }),
    ],
  ],
  [
    "add an urgent reminder to pay rent on friday",
    [
      create({
        title: "pay rent",
        priority: "urgent",
        due: FRIDAY,
        reminders: [{ at: "2027-03-12T14:00:00.000Z" }],
      }),
    ],
  ],
  ["create a low priority task to sort the photos", [create({ title: "sort the photos", priority: "low" })]],
  ["add a high-priority task: file taxes", [create({ title: "file taxes", priority: "high" })]],
  [
    "new urgent task: renew the car insurance",
    [create({ title: "renew the car insurance", priority: "urgent" })],
  ],
  [
    "add a critical todo to patch the server #work",
    [create({ title: "patch the server", priority: "urgent", tags: ["work"] })],
  ],
  ["add an important task to call the bank !low", [create({ title: "call the bank", priority: "low" })]],
  ["add an important meeting tomorrow", [create({ title: "important meeting" })]],
  // picking one of the choices offered
  ["the second", [{ kind: "select", index: 2 }]],
  ["the first one", [{ kind: "select", index: 1 }]],
  ["the one about the dentist", [{ kind: "select", words: "dentist" }]],
  ["the dentist one", [{ kind: "select", words: "dentist" }]],
  ["the one for mom please", [{ kind: "select", words: "mom" }]],
  ["I meant the dentist appointment", [{ kind: "select", words: "dentist appointment" }]],
  ["no, the one about the report", [{ kind: "select", words: "report" }]],
  ["both", [{ kind: "select", all: "both" }]],
  ["both of them", [{ kind: "select", all: "both" }]],
  ["all of them", [{ kind: "select", all: "all" }]],
  ["the second?", [{ kind: "select", index: 2 }]],
  ["both?", [{ kind: "select", all: "both" }]],
  ["delete the one about the dentist", [del("dentist")]],
  // what was completed, by completion time (a weekday is the last one, today included)
  [
    "what did I complete on Monday?",
    [
      list({
        status: "completed",
        completed: { from: "2027-03-08T05:00:00.000Z", to: "2027-03-09T05:00:00.000Z" },
      }),
    ],
  ],
  [
    "what got done last week?",
    [
      list({
        status: "completed",
        completed: { from: "2027-03-01T05:00:00.000Z", to: "2027-03-08T05:00:00.000Z" },
      }),
    ],
  ],
  [
    "what did I tick off on Friday?",
    [
      list({
        status: "completed",
        completed: { from: "2027-03-05T05:00:00.000Z", to: "2027-03-06T05:00:00.000Z" },
      }),
    ],
  ],
  ["what did I cross off yesterday?", [list({ status: "completed", completed: YESTERDAY })]],
  ["what did I get through today?", [list({ status: "completed", completed: TODAY })]],
  ["show tasks I completed this week", [list({ status: "completed", completed: THIS_WEEK })]],
  [
    "what was completed last Wednesday?",
    [
      list({
        status: "completed",
        completed: { from: "2027-03-03T05:00:00.000Z", to: "2027-03-04T05:00:00.000Z" },
      }),
    ],
  ],
  // by priority
  ["what's urgent?", [list({ status: "open", priority: "urgent", label: "open urgent tasks" })]],
  ["show my high priority tasks", [list({ priority: "high", label: "open high-priority tasks" })]],
  [
    "anything important due this week?",
    [
      list({
        priority: "high",
        priorityAtLeast: true,
        due: THIS_WEEK,
        label: "important tasks due this week (Mon 8 – Sun 14 Mar)",
      }),
    ],
  ],
  ["what are my top priorities?", [list({ priority: "high", priorityAtLeast: true })]],
  ["anything urgent today?", [list({ priority: "urgent", due: TODAY })]],
  ["anything high priority?", [list({ priority: "high" })]],
  // weeks say which days they cover
  [
    "anything due this weekend?",
    [
      list({
        due: { from: "2027-03-13T05:00:00.000Z", to: "2027-03-15T04:00:00.000Z" },
        label: "tasks due this weekend (Sat 13 – Sun 14 Mar)",
      }),
    ],
  ],
  [
    "what's due on Friday?",
    [list({ due: { from: "2027-03-12T05:00:00.000Z" }, label: "tasks due on Fri 12 Mar" })],
  ],
];
