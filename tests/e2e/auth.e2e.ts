/**
 * Signing up, in and out through the form, a session that survives a reload, and the accessible
 * names the issue promises ("Email", "Password", "Sign up", "Sign in", "Add a task", "Search tasks").
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { signInApi, signUpApi, testPassword, uniqueEmail } from "./lib/api.ts";
import { emailBox, passwordBox, quickAddBox, signInUi, signUpUi, waitForTaskPage } from "./lib/app.ts";
import { e2e, newPage } from "./lib/harness.ts";

beforeAll(async () => {
  await e2e();
});

describe("accounts", () => {
  test("the controls carry exactly the names the issue gives them", async () => {
    const page = await newPage();
    await page.goto("/");
    await emailBox(page).waitFor();
    expect(await page.getByLabel("Email", { exact: true }).count()).toBe(1);
    expect(await page.getByLabel("Password", { exact: true }).count()).toBe(1);
    expect(await page.getByRole("button", { name: "Sign up", exact: true }).count()).toBe(1);
    expect(await page.getByRole("button", { name: "Sign in", exact: true }).count()).toBe(1);
    await signUpUi(page, uniqueEmail("names"));
    expect(await page.getByRole("textbox", { name: "Add a task", exact: true }).count()).toBe(1);
    expect(await page.getByRole("searchbox", { name: "Search tasks", exact: true }).count()).toBe(1);
  });

  test("sign up lands on the task page, and the session survives a reload", async () => {
    const { server } = await e2e();
    const page = await newPage();
    const email = uniqueEmail("signup");
    await signUpUi(page, email);
    // The account exists on the server: the same credentials sign in through the API.
    const api = await signInApi(server.grpcUrl, email);
    expect(api.token.length).toBeGreaterThan(20);
    expect(await page.getByText(email).first().isVisible()).toBe(true);

    await page.reload();
    await waitForTaskPage(page);
    expect(await passwordBox(page).count()).toBe(0);
  });

  test("a wrong password is explained in words; the right one signs in; sign out forgets the session", async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl);
    const page = await newPage();
    await page.goto("/");
    await emailBox(page).fill(user.email);
    await passwordBox(page).fill("not the password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor({ state: "visible" });
    const message = (await alert.textContent()) ?? "";
    expect(message.trim().length).toBeGreaterThan(5);
    expect(message).not.toMatch(/\[unauthenticated\]|ConnectError|undefined/i);
    expect(await quickAddBox(page).count()).toBe(0);

    await signInUi(page, user.email, testPassword);
    await page.getByRole("button", { name: "Sign out" }).click();
    await emailBox(page).waitFor({ state: "visible" });
    await page.reload();
    await emailBox(page).waitFor({ state: "visible" });
    expect(await quickAddBox(page).count()).toBe(0);
  });

  test("signing up with an e-mail address already in use says so", async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl);
    const page = await newPage();
    await page.goto("/");
    await emailBox(page).fill(user.email);
    await passwordBox(page).fill(testPassword);
    await page.getByRole("button", { name: "Sign up", exact: true }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor({ state: "visible" });
    expect((await alert.textContent()) ?? "").toMatch(/already|in use|exists|taken/i);
  });
});
