import { cleanup, fireEvent, render } from "@solidjs/testing-library";
import { createSignal } from "solid-js";
import { afterEach, describe, expect, it } from "vitest";
import { SearchBox } from "./SearchBox";

afterEach(cleanup);

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function mount(debounce?: number) {
  const searched: string[] = [];
  const view = render(() => (
    <SearchBox
      value=""
      onSearch={(q) => searched.push(q)}
      {...(debounce === undefined ? {} : { debounce })}
    />
  ));
  const input = view.getByLabelText("Search tasks") as HTMLInputElement;
  const type = (text: string) => {
    input.value = text;
    fireEvent.input(input);
  };
  return { input, type, searched };
}

describe("search box", () => {
  it("searches on every keystroke, at once, without waiting for typing to pause", () => {
    const { type, searched } = mount();
    type("i");
    expect(searched).toEqual(["i"]);
    type("in");
    type("inv");
    expect(searched).toEqual(["i", "in", "inv"]);
  });

  it("never searches twice for the same text", () => {
    const { type, searched } = mount();
    type("pas");
    type("pas");
    expect(searched).toEqual(["pas"]);
  });

  it("keeps what is typed when the URL echoes an earlier search late, and follows other changes", () => {
    const [value, setValue] = createSignal("");
    const sent: string[] = [];
    const view = render(() => <SearchBox value={value()} onSearch={(q) => sent.push(q)} />);
    const input = view.getByLabelText("Search tasks") as HTMLInputElement;
    input.value = "a";
    fireEvent.input(input);
    input.value = "ab";
    fireEvent.input(input);
    expect(sent).toEqual(["a", "ab"]);
    // The URL catches up with "a" only now: the box keeps "ab".
    setValue("a");
    expect(input.value).toBe("ab");
    setValue("ab");
    expect(input.value).toBe("ab");
    // Clear filters, the back button: the box shows the URL's text.
    setValue("");
    expect(input.value).toBe("");
  });

  it("waits for an IME composition to end", async () => {
    const { input, searched } = mount();
    input.value = "とう";
    fireEvent.input(input, { isComposing: true });
    await tick();
    expect(searched).toEqual([]);
    input.value = "東京";
    fireEvent.compositionEnd(input);
    await tick();
    expect(searched).toEqual(["東京"]);
  });

  it("still debounces when asked to", async () => {
    const { type, searched } = mount(30);
    type("k");
    await tick(10);
    type("ki");
    await tick(10);
    expect(searched).toEqual([]);
    await tick(40);
    expect(searched).toEqual(["ki"]);
  });

  it("Enter searches at once; Escape clears", async () => {
    const { input, type, searched } = mount(1000);
    type("harbor");
    fireEvent.keyDown(input, { key: "Enter" });
    expect(searched).toEqual(["harbor"]);
    fireEvent.keyDown(input, { key: "Escape" });
    expect(input.value).toBe("");
    expect(searched).toEqual(["harbor", ""]);
  });
});
