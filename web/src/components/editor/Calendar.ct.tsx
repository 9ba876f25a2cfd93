import { cleanup, fireEvent, render, screen } from "@solidjs/testing-library";
import { createSignal } from "solid-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Calendar, monthGrid } from "./Calendar";
import { matchZones } from "./TimeZoneSelect";
import { timeZones } from "./zoned-time";

afterEach(cleanup);

function setup(value = "2027-01-08", today = "2027-01-05") {
  const onSelect = vi.fn();
  const [v, setV] = createSignal(value);
  render(() => (
    <Calendar
      value={v()}
      today={today}
      onSelect={(d) => {
        onSelect(d);
        setV(d);
      }}
    />
  ));
  const day = (date: string) => document.querySelector<HTMLButtonElement>(`button[data-date="${date}"]`);
  return { onSelect, day, setV };
}

describe("Calendar", () => {
  it("shows the month of the value, weeks from Monday, today marked and the value pressed", () => {
    const { day } = setup();
    expect(screen.getByRole("heading", { name: "January 2027" })).toBeTruthy();
    expect(screen.getAllByRole("columnheader").map((th) => th.textContent)).toEqual([
      "Mo",
      "Tu",
      "We",
      "Th",
      "Fr",
      "Sa",
      "Su",
    ]);
    expect(day("2027-01-05")?.getAttribute("aria-current")).toBe("date");
    expect(day("2027-01-05")?.getAttribute("aria-label")).toBe("Tuesday, 5 January 2027 (today)");
    expect(day("2027-01-08")?.getAttribute("aria-pressed")).toBe("true");
    expect(day("2027-01-08")?.tabIndex).toBe(0);
    expect(day("2027-01-09")?.tabIndex).toBe(-1);
    // Leading days of December fill the first week (1 January 2027 is a Friday).
    expect(monthGrid("2027-01-08")[0]?.[0]).toBe("2026-12-28");
  });

  it("moves with the keyboard: arrows, Home/End, PageUp/PageDown (Shift: a year)", () => {
    const { day } = setup();
    const grid = screen.getByRole("table");
    day("2027-01-08")?.focus();
    fireEvent.keyDown(grid, { key: "ArrowRight" });
    expect(document.activeElement).toBe(day("2027-01-09"));
    fireEvent.keyDown(grid, { key: "ArrowDown" });
    expect(document.activeElement).toBe(day("2027-01-16"));
    fireEvent.keyDown(grid, { key: "Home" });
    expect(document.activeElement).toBe(day("2027-01-11"));
    fireEvent.keyDown(grid, { key: "End" });
    expect(document.activeElement).toBe(day("2027-01-17"));
    fireEvent.keyDown(grid, { key: "ArrowUp" });
    expect(document.activeElement).toBe(day("2027-01-10"));
    fireEvent.keyDown(grid, { key: "PageDown" });
    expect(screen.getByRole("heading", { name: "February 2027" })).toBeTruthy();
    expect(document.activeElement).toBe(day("2027-02-10"));
    fireEvent.keyDown(grid, { key: "PageUp", shiftKey: true });
    expect(screen.getByRole("heading", { name: "February 2026" })).toBeTruthy();
    fireEvent.keyDown(grid, { key: "ArrowLeft" });
    expect(document.activeElement).toBe(day("2026-02-09"));
  });

  it("picks a day on click and follows the month buttons", () => {
    const { onSelect, day } = setup();
    fireEvent.click(screen.getByRole("button", { name: "Next month" }));
    expect(screen.getByRole("heading", { name: "February 2027" })).toBeTruthy();
    fireEvent.click(day("2027-02-14") as HTMLButtonElement);
    expect(onSelect).toHaveBeenCalledWith("2027-02-14");
    expect(day("2027-02-14")?.getAttribute("aria-pressed")).toBe("true");
    fireEvent.click(screen.getByRole("button", { name: "Previous month" }));
    expect(screen.getByRole("heading", { name: "January 2027" })).toBeTruthy();
  });

  it("jumps to a value set from outside", () => {
    const { setV } = setup();
    setV("2028-02-29");
    expect(screen.getByRole("heading", { name: "February 2028" })).toBeTruthy();
  });
});

describe("time-zone search", () => {
  const at = Date.parse("2027-01-01T00:00:00Z");
  it("matches city names with spaces or underscores, best first", () => {
    const zones = timeZones();
    expect(matchZones("new york", zones, at)[0]).toBe("America/New_York");
    expect(matchZones("berl", zones, at)[0]).toBe("Europe/Berlin");
    expect(matchZones("kolkata", zones, at)).toContain("Asia/Kolkata");
  });
  it("matches offsets", () => {
    expect(matchZones("+05:30", timeZones(), at)).toContain("Asia/Kolkata");
  });
});
