/**
 * How the tests find their way around the web app: by accessible names and roles only (the same
 * way a screen reader user would), never by CSS classes. One place, so a renamed label is fixed
 * once. The names are the app's contract with these tests (issue 4: "Email", "Password",
 * "Add a task", "Search tasks", "Sign up", "Sign in"; the rest are read from web/src).
 */
import type { Locator, Page } from "playwright-core";
import { testPassword } from "./api.ts";

/** The quick-add input ("Add a task"). */
export const quickAddBox = (page: Page): Locator => page.getByLabel("Add a task", { exact: true });

/** The search input ("Search tasks"). */
export const searchBox = (page: Page): Locator => page.getByLabel("Search tasks", { exact: true });

/** The task list (`<ul aria-label="Tasks">`). */
export const taskList = (page: Page): Locator => page.getByRole("list", { name: "Tasks", exact: true });

/** Every row of the task list. */
export const taskRows = (page: Page): Locator => taskList(page).getByRole("listitem");

/** The row of the task titled `title` (its title is a button that opens the editor). */
export const taskRow = (page: Page, title: string): Locator =>
  taskRows(page).filter({ has: page.getByRole("button", { name: title, exact: true }) });

/** The titles of the rows shown, top to bottom. */
export async function rowTitles(page: Page): Promise<string[]> {
  return await taskRows(page).evaluateAll((rows) =>
    rows.map((row) => row.querySelector("button")?.textContent?.trim() ?? ""),
  );
}

/** The checkbox that completes (or reopens) the task titled `title`. */
export const completeBox = (page: Page, title: string): Locator =>
  page.getByRole("checkbox", { name: `Complete ${title}`, exact: true });

/** The notification bell (its name carries the unread count: "Notifications, 2 unread"). */
export const bell = (page: Page): Locator =>
  page.getByRole("button", { name: /^Notifications(, \d+ unread)?$/ });

/** The live preview of what quick add understood (one item per field: "Repeats: every week"). */
export const quickAddPreview = (page: Page): Locator =>
  page.getByRole("list", { name: "What quick add understood" }).getByRole("listitem");

/**
 * The sign-in form's fields. Found by a label that *contains* the word, so that a hint inside the
 * label does not stop every test; `auth.e2e.ts` checks the exact names the issue asks for.
 */
export const emailBox = (page: Page): Locator => page.getByLabel("Email");
export const passwordBox = (page: Page): Locator => page.getByLabel("Password");

/** Waits until the signed-in task page is shown. */
export async function waitForTaskPage(page: Page): Promise<void> {
  await quickAddBox(page).waitFor({ state: "visible" });
}

/** Signs up through the sign-in form at "/" and waits for the task page. */
export async function signUpUi(page: Page, email: string, password = testPassword): Promise<void> {
  await page.goto("/");
  await emailBox(page).fill(email);
  await passwordBox(page).fill(password);
  await page.getByRole("button", { name: "Sign up", exact: true }).click();
  await waitForTaskPage(page);
}

/** Signs in through the sign-in form at "/" and waits for the task page. */
export async function signInUi(page: Page, email: string, password = testPassword): Promise<void> {
  await page.goto("/");
  await emailBox(page).fill(email);
  await passwordBox(page).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await waitForTaskPage(page);
}

/** Types `text` into quick add and presses Enter; waits until its row (titled `title`) shows. */
export async function quickAdd(page: Page, text: string, title: string): Promise<Locator> {
  const box = quickAddBox(page);
  await box.fill(text);
  await box.press("Enter");
  const row = taskRow(page, title);
  await row.waitFor({ state: "visible" });
  return row;
}
