/**
 * The interpreter's corpus: utterances with the intents they must produce, read at a fixed moment
 * (Wednesday 10 March 2027, 10:00 in New York) so dates are exact. Each expectation is partial: the
 * fields given must match, others may be anything. `corpus.test.ts` requires ≥ 95 % to pass.
 */
import {
  complete,
  create,
  del,
  type Expected,
  FRIDAY,
  FRIDAY_3PM,
  it,
  list,
  reopen,
  THIS_WEEK,
  TODAY,
  TOMORROW_6PM,
  text,
  update,
  YESTERDAY,
} from "./corpus-kit";
import { WIDER_CORPUS } from "./corpus-wider";

export { CORPUS_CONTEXT, type Expected } from "./corpus-kit";

/** [utterance, the intents expected, in order]. */
export const CORPUS: readonly (readonly [string, readonly Expected[]])[] = [
  // add
  [
    "remind me to call mom tomorrow at 6pm",
    [create({ title: "call mom", due: TOMORROW_6PM, reminders: [{ beforeDueMs: 0 }] })],
  ],
  [
    "add buy milk #errands !high every Monday",
    [
      create({
        title: "buy milk",
        tags: ["errands"],
        priority: "high",
        recurrence: { rrule: "FREQ=WEEKLY;BYDAY=MO", anchor: "schedule" },
      }),
    ],
  ],
  [
    "pay rent on the 1st of every month at 9am, remind me a day before",
    [
      create({
        title: "pay rent",
        due: { time: "2027-04-01T13:00:00.000Z", hasTime: true },
        recurrence: { rrule: "FREQ=MONTHLY;BYMONTHDAY=1" },
        reminders: [{ beforeDueMs: 86_400_000 }],
      }),
    ],
  ],
  [
    "water plants every 3 days after I finish",
    [create({ title: "water plants", recurrence: { rrule: "FREQ=DAILY;INTERVAL=3", anchor: "completion" } })],
  ],
  ["add call the bank friday 3pm", [create({ title: "call the bank", due: FRIDAY_3PM })]],
  ["Add dentist appointment on Friday", [create({ title: "dentist appointment", due: FRIDAY })]],
  ["create a task to renew passport", [create({ title: "renew passport", tags: [] })]],
  ["new task: clean the garage #home", [create({ title: "clean the garage", tags: ["home"] })]],
  ["todo: email Sarah tomorrow at 6pm", [create({ title: "email Sarah", due: TOMORROW_6PM })]],
  ["I need to book flights urgent", [create({ title: "book flights urgent" })]],
  ["i have to pick up the kids tomorrow at 6pm", [create({ title: "pick up the kids", due: TOMORROW_6PM })]],
  ["don't forget to buy bread", [create({ title: "buy bread" })]],
  [
    "remember to stretch every day at 7am",
    [create({ title: "stretch", recurrence: { rrule: "FREQ=DAILY" } })],
  ],
  [
    "add take out trash every Tuesday and Friday #home",
    [create({ title: "take out trash", tags: ["home"], recurrence: { rrule: "FREQ=WEEKLY;BYDAY=TU,FR" } })],
  ],
  ["please add review PR !urgent", [create({ title: "review PR", priority: "urgent" })]],
  ["add prepare slides !low #work", [create({ title: "prepare slides", priority: "low", tags: ["work"] })]],
  ["add a task called quarterly taxes", [create({ title: "quarterly taxes" })]],
  ["put groceries on my list", [create({ title: "groceries" })]],
  ["add buy milk to my list", [create({ title: "buy milk" })]],
  [
    "Add submit timesheet every Friday at 5pm",
    [create({ title: "submit timesheet", recurrence: { rrule: "FREQ=WEEKLY;BYDAY=FR" } })],
  ],
  ["add gym every other day", [create({ title: "gym", recurrence: { rrule: "FREQ=DAILY;INTERVAL=2" } })]],
  [
    "add haircut every 4 weeks after I finish",
    [create({ title: "haircut", recurrence: { rrule: "FREQ=WEEKLY;INTERVAL=4", anchor: "completion" } })],
  ],
  [
    "add standup every weekday at 9:30am #work",
    [create({ title: "standup", tags: ["work"], recurrence: { rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" } })],
  ],
  [
    "add birthday party saturday at 2pm #family",
    [
      create({
        title: "birthday party",
        tags: ["family"],
        due: { time: "2027-03-13T19:00:00.000Z", hasTime: true },
      }),
    ],
  ],
  [
    "add call grandma tomorrow at 6pm, remind me 30 minutes before",
    [create({ title: "call grandma", due: TOMORROW_6PM, reminders: [{ beforeDueMs: 1_800_000 }] })],
  ],
  [
    "remind me to take medicine every day at 8am",
    [create({ title: "take medicine", recurrence: { rrule: "FREQ=DAILY" } })],
  ],
  ["remind me to water the plants tomorrow", [create({ title: "water the plants" })]],
  ["remind me to send the invoice friday 3pm", [create({ title: "send the invoice", due: FRIDAY_3PM })]],
  ["schedule a call with Tom tomorrow at 6pm", [create({ title: "call with Tom", due: TOMORROW_6PM })]],
  ["schedule a call with Tom on Friday at 3pm", [create({ title: "call with Tom", due: FRIDAY_3PM })]],
  [
    "set up a meeting with Ann tomorrow at 10am",
    [create({ title: "meeting with Ann", due: { time: "2027-03-11T15:00:00.000Z", hasTime: true } })],
  ],
  // "remind me to X at T": the task, due at T, with a reminder at T
  [
    "remind me to take out the trash at 8pm",
    [
      create({
        title: "take out the trash",
        due: { time: "2027-03-11T01:00:00.000Z", hasTime: true },
        reminders: [{ beforeDueMs: 0 }],
      }),
    ],
  ],
  [
    "remind me to check the oven in 20 minutes",
    [
      create({
        title: "check the oven",
        due: { time: "2027-03-10T15:20:00.000Z", hasTime: true },
        reminders: [{ beforeDueMs: 0 }],
      }),
    ],
  ],
  [
    "remind me at 6pm to call mom",
    [create({ title: "call mom", reminders: [{ at: "2027-03-10T23:00:00.000Z" }] })],
  ],
  // a day without a time: the reminder is at 09:00 that day, not at 23:59
  [
    "remind me to call the bank on monday",
    [create({ title: "call the bank", reminders: [{ at: "2027-03-15T13:00:00.000Z" }] })],
  ],
  [
    "remind me to pay the water bill on the 1st of every month",
    [
      create({
        title: "pay the water bill",
        recurrence: { rrule: "FREQ=MONTHLY;BYMONTHDAY=1" },
        reminders: [{ beforeDueMs: 53_940_000 }],
      }),
    ],
  ],
  ["call mom tomorrow at 6pm", [create({ title: "call mom", due: TOMORROW_6PM })]],
  ["buy flowers friday #errands", [create({ title: "buy flowers", tags: ["errands"], due: FRIDAY })]],
  [
    "pay electricity bill on the 15th of every month",
    [create({ title: "pay electricity bill", recurrence: { rrule: "FREQ=MONTHLY;BYMONTHDAY=15" } })],
  ],
  ["add file taxes by April 15 !high", [create({ title: "file taxes", priority: "high" })]],
  ["add read a book", [create({ title: "read a book", tags: [] })]],
  ['add "meeting at 5" to the list', [create({ title: '"meeting at 5"' })]],
  ["Hey, add fix the bike #weekend", [create({ title: "fix the bike", tags: ["weekend"] })]],
  ["can you add order printer ink", [create({ title: "order printer ink" })]],
  [
    "could you please add check the mail tomorrow at 6pm",
    [create({ title: "check the mail", due: TOMORROW_6PM })],
  ],
  [
    "add vacuum every Sunday !medium",
    [create({ title: "vacuum", priority: "medium", recurrence: { rrule: "FREQ=WEEKLY;BYDAY=SU" } })],
  ],
  ["I should call the plumber", [create({ title: "call the plumber" })]],
  [
    "add clean gutters every 3 months",
    [create({ title: "clean gutters", recurrence: { rrule: "FREQ=MONTHLY;INTERVAL=3" } })],
  ],
  [
    "add renew car insurance every year on March 20",
    [create({ title: "renew car insurance", recurrence: { rrule: "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=20" } })],
  ],
  [
    "new task buy a gift #family !high",
    [create({ title: "buy a gift", tags: ["family"], priority: "high" })],
  ],
  ["jot down call the landlord", [create({ title: "call the landlord" })]],
  [
    "add pick up dry cleaning in 2 hours",
    [create({ title: "pick up dry cleaning", due: { time: "2027-03-10T17:00:00.000Z", hasTime: true } })],
  ],
  [
    "add send report tomorrow morning #work",
    [
      create({
        title: "send report",
        tags: ["work"],
        due: { time: "2027-03-11T14:00:00.000Z", hasTime: true },
      }),
    ],
  ],
  [
    "add walk the dog every morning",
    [create({ title: "walk the dog", recurrence: { rrule: "FREQ=DAILY" } })],
  ],
  [
    "add yoga every Monday and Wednesday at 6pm",
    [create({ title: "yoga", recurrence: { rrule: "FREQ=WEEKLY;BYDAY=MO,WE" } })],
  ],
  [
    "add mortgage payment on the last day of every month",
    [create({ title: "mortgage payment", recurrence: { rrule: "FREQ=MONTHLY;BYMONTHDAY=-1" } })],
  ],
  ["add update resume", [create({ title: "update resume" })]],
  // list and ask
  [
    "what's due this week?",
    [list({ status: "open", due: THIS_WEEK, label: "tasks due this week (Mon 8 – Sun 14 Mar)" })],
  ],
  ["show urgent work tasks", [list({ status: "open", priority: "urgent", tags: ["work"] })]],
  ["what did I finish yesterday?", [list({ status: "completed", completed: YESTERDAY })]],
  ["anything overdue?", [list({ status: "open", overdue: true })]],
  ["what's due today?", [list({ status: "open", due: TODAY })]],
  ["what do I have today", [list({ status: "open", due: TODAY })]],
  ["show my tasks", [list({ status: "open", tags: [] })]],
  ["list my tasks", [list({ status: "open", tags: [] })]],
  ["what's on my plate today?", [list({ due: TODAY })]],
  ["show tasks tagged #errands", [list({ tags: ["errands"] })]],
  ["show #home tasks", [list({ tags: ["home"] })]],
  [
    "what's due tomorrow?",
    [list({ due: { from: "2027-03-11T05:00:00.000Z", to: "2027-03-12T05:00:00.000Z" } })],
  ],
  [
    "what's due next week?",
    [
      list({
        due: { from: "2027-03-15T04:00:00.000Z", to: "2027-03-22T04:00:00.000Z" },
        label: "tasks due next week (Mon 15 – Sun 21 Mar)",
      }),
    ],
  ],
  ["show high priority tasks", [list({ priority: "high" })]],
  ["any urgent tasks?", [list({ priority: "urgent" })]],
  ["what have I completed this week?", [list({ status: "completed", completed: THIS_WEEK })]],
  ["what did I get done today?", [list({ status: "completed", completed: TODAY })]],
  ["show completed tasks", [list({ status: "completed" })]],
  ["which tasks are overdue?", [list({ overdue: true })]],
  ["am I behind on anything?", [list({ overdue: true })]],
  [
    "do I have anything due friday?",
    [list({ due: { from: "2027-03-12T05:00:00.000Z", to: "2027-03-13T05:00:00.000Z" } })],
  ],
  ["show tasks about taxes", [list({ text: "taxes" })]],
  ["find tasks about the dentist", [list({ text: "dentist" })]],
  ["look up tasks about the plumber", [list({ text: "plumber" })]],
  ["search my tasks for invoice", [list({ text: "invoice" })]],
  ["search for invoice", [list({ text: "invoice" })]],
  ["show tasks without a due date", [list({ noDue: true })]],
  [
    "what's due this month?",
    [list({ due: { from: "2027-03-01T05:00:00.000Z", to: "2027-04-01T04:00:00.000Z" } })],
  ],
  ["what's coming up?", [list({ status: "open" })]],
  ["show overdue work tasks", [list({ overdue: true, tags: ["work"] })]],
  ["list urgent tasks due this week", [list({ priority: "urgent", due: THIS_WEEK })]],
  ["how many tasks do I have?", [list({ status: "open" })]],
  ["what should I do today?", [list({ due: TODAY })]],
  ["show me everything due in the next 3 days", [list({ status: "open" })]],
  [
    "what's due this weekend?",
    [list({ due: { from: "2027-03-13T05:00:00.000Z", to: "2027-03-15T04:00:00.000Z" } })],
  ],
  ["tasks due today", [list({ due: TODAY })]],
  ["what is overdue", [list({ overdue: true })]],
  ["show low priority tasks", [list({ priority: "low" })]],
  ["show my #work tasks due today", [list({ tags: ["work"], due: TODAY })]],
  [
    "what did i complete last week?",
    [
      list({
        status: "completed",
        completed: { from: "2027-03-01T05:00:00.000Z", to: "2027-03-08T05:00:00.000Z" },
      }),
    ],
  ],
  ["list important tasks", [list({ priority: "high" })]],
  ["show home tasks", [list({ tags: ["home"] })]],
  // complete
  ["done with the report", [complete("report")]],
  ["mark call mom as done", [complete("call mom")]],
  ["mark the report as complete", [complete("report")]],
  ["complete buy milk", [complete("buy milk")]],
  ["finished the taxes", [complete("taxes")]],
  ["I finished the slides", [complete("slides")]],
  ["I'm done with laundry", [complete("laundry")]],
  ["check off groceries", [complete("groceries")]],
  ["buy milk is done", [complete("buy milk")]],
  ["the report is finished", [complete("report")]],
  ["mark it done", [complete(it)]],
  ["done", [complete(it)]],
  ["mark the second one as done", [{ kind: "complete", target: { kind: "ordinal", index: 2 } }]],
  ["complete the first one", [{ kind: "complete", target: { kind: "ordinal", index: 1 } }]],
  ["tick off call the bank", [complete("call the bank")]],
  ["I did the dishes", [complete("dishes")]],
  ["finish the last one", [{ kind: "complete", target: { kind: "ordinal", index: -1 } }]],
  ["please mark pay rent as completed", [complete("pay rent")]],
  ["got the laundry done", [complete("laundry")]],
  ["I've got the taxes done", [complete("taxes")]],
  ["got the dishes finished", [complete("dishes")]],
  ["I've finished the essay", [complete("essay")]],
  // reopen
  ["reopen the report", [reopen("report")]],
  ["reopen it", [reopen(it)]],
  ["mark buy milk as not done", [reopen("buy milk")]],
  ["undo call mom", [reopen("call mom")]],
  ["the report isn't done after all", [reopen("report")]],
  ["uncheck groceries", [reopen("groceries")]],
  ["mark the taxes as open again", [reopen("taxes")]],
  // delete
  ["delete buy milk", [del("buy milk")]],
  ["delete it", [del(it)]],
  ["remove the dentist appointment", [del("dentist appointment")]],
  ["cancel the meeting with Bob", [del("meeting with Bob")]],
  ["get rid of old invoices", [del("old invoices")]],
  ["forget about the gym", [del("gym")]],
  ["delete the third one", [{ kind: "delete", target: { kind: "ordinal", index: 3 } }]],
  ["remove clean garage from my list", [del("clean garage")]],
  ["trash that", [del(it)]],
  ["delete", [{ kind: "unknown" }]],
  // change
  ["move the dentist to Friday 3pm", [update("dentist", { due: FRIDAY_3PM })]],
  ["make the report high priority", [update("report", { priority: "high" })]],
  ["tag it #work", [update(it, { addTags: ["work"] })]],
  ["make it urgent", [update(it, { priority: "urgent" })]],
  ["reschedule call mom to tomorrow at 6pm", [update("call mom", { due: TOMORROW_6PM })]],
  ["move it to friday", [update(it, { due: FRIDAY })]],
  ["postpone the report by 2 days", [update("report", { shiftMs: 172_800_000 })]],
  ["push it back a week", [update(it, { shiftMs: 604_800_000 })]],
  ["set the priority of buy milk to low", [update("buy milk", { priority: "low" })]],
  ["change the due date of the report to friday", [update("report", { due: FRIDAY })]],
  ["make buy milk low priority", [update("buy milk", { priority: "low" })]],
  ["the report is urgent", [update("report", { priority: "urgent" })]],
  ["tag the report #work #q1", [update("report", { addTags: ["work", "q1"] })]],
  ["add #errands to buy milk", [update("buy milk", { addTags: ["errands"] })]],
  ["tag the slides with work", [update("slides", { addTags: ["work"] })]],
  ["remove #work from the report", [update("report", { removeTags: ["work"] })]],
  ["untag it #home", [update(it, { removeTags: ["home"] })]],
  ["rename the report to quarterly report", [update("report", { title: "quarterly report" })]],
  ["call it Quarterly review", [update(it, { title: "Quarterly review" })]],
  [
    "make it repeat every Monday",
    [update(it, { recurrence: { rrule: "FREQ=WEEKLY;BYDAY=MO", anchor: "schedule" } })],
  ],
  [
    "make water plants repeat every 3 days after I finish",
    [update("water plants", { recurrence: { rrule: "FREQ=DAILY;INTERVAL=3", anchor: "completion" } })],
  ],
  ["stop repeating it", [update(it, { recurrence: null })]],
  ["remove the due date from the report", [update("report", { due: null })]],
  ["prioritize the taxes", [update("taxes", { priority: "high" })]],
  ["move the second one to friday", [update({ kind: "ordinal", index: 2 }, { due: FRIDAY })]],
  ["make it friday 3pm", [update(it, { due: FRIDAY_3PM })]],
  ["set it to medium priority", [update(it, { priority: "medium" })]],
  ["move talk to Bob to friday", [update("talk to Bob", { due: FRIDAY })]],
  ["schedule the dentist for friday", [update("dentist", { due: FRIDAY })]],
  // follow-ups
  ["no, Friday", [update(it, { due: FRIDAY })]],
  ["actually, friday 3pm", [update(it, { due: FRIDAY_3PM })]],
  ["no, make it high priority", [update(it, { priority: "high" })]],
  ["I meant tomorrow at 6pm", [update(it, { due: TOMORROW_6PM })]],
  ["the second one", [{ kind: "select", index: 2 }]],
  ["the first", [{ kind: "select", index: 1 }]],
  ["2", [{ kind: "select", index: 2 }]],
  ["number 3", [{ kind: "select", index: 3 }]],
  ["no, the first one", [{ kind: "select", index: 1 }]],
  // tags
  ["rename tag work to office", [{ kind: "rename_tag", from: "work", to: "office" }]],
  ["rename the tag home to house", [{ kind: "rename_tag", from: "home", to: "house" }]],
  ["rename #errands to #chores", [{ kind: "rename_tag", from: "errands", to: "chores" }]],
  ["change the label q1 to q2", [{ kind: "rename_tag", from: "q1", to: "q2" }]],
  // reminders
  [
    "remind me 30 minutes before",
    [{ kind: "add_reminder", target: it, reminder: { beforeDueMs: 1_800_000 } }],
  ],
  ["remind me an hour before", [{ kind: "add_reminder", target: it, reminder: { beforeDueMs: 3_600_000 } }]],
  ["remind me a day before", [{ kind: "add_reminder", target: it, reminder: { beforeDueMs: 86_400_000 } }]],
  [
    "remind me about the dentist 2 hours before",
    [{ kind: "add_reminder", target: text("dentist"), reminder: { beforeDueMs: 7_200_000 } }],
  ],
  [
    "add a reminder to the report 15 minutes before",
    [{ kind: "add_reminder", target: text("report"), reminder: { beforeDueMs: 900_000 } }],
  ],
  [
    "set a reminder 10 minutes before",
    [{ kind: "add_reminder", target: it, reminder: { beforeDueMs: 600_000 } }],
  ],
  [
    "remind me tomorrow at 6pm",
    [{ kind: "add_reminder", target: it, reminder: { at: "2027-03-11T23:00:00.000Z" } }],
  ],
  [
    "add a reminder for tomorrow at 9am",
    [{ kind: "add_reminder", target: it, reminder: { at: "2027-03-11T14:00:00.000Z" } }],
  ],
  // multiple, help, unknown
  ["add buy eggs; add buy butter", [create({ title: "buy eggs" }), create({ title: "buy butter" })]],
  ["complete the report and then delete the draft", [complete("report"), del("draft")]],
  ["help", [{ kind: "help" }]],
  ["what can you do?", [{ kind: "help" }]],
  ["the weather is lovely", [{ kind: "unknown" }]],
  ["banana", [{ kind: "unknown" }]],
  ["hello", [{ kind: "unknown" }]],
  ...WIDER_CORPUS,
];
