import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { cleanup, fireEvent, screen, waitFor, within } from "@solidjs/testing-library";
import { type Tag, TagSchema } from "@todo/gen/todo/tag/v1/tag_pb";
import { TagService, type UpdateTagRequest } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { afterEach, describe, expect, it } from "vitest";
import { renderWithServices } from "../components/editor/test-support";
import { TagsPage } from "./Tags";

afterEach(cleanup);

function setup() {
  const tags = new Map<string, Tag>(
    [
      { id: "a", name: "work", color: "#3b82f6", taskCount: 7 },
      { id: "b", name: "home", color: "#ef4444", taskCount: 1 },
      { id: "c", name: "someday", color: "#64748b", taskCount: 0 },
    ].map((t) => [t.id, create(TagSchema, t)]),
  );
  const updates: UpdateTagRequest[] = [];
  const deleted: string[] = [];
  const taken = (name: string, except = "") =>
    [...tags.values()].some((t) => t.id !== except && t.name.toLowerCase() === name.toLowerCase());
  renderWithServices(
    () => <TagsPage />,
    (router) =>
      router.service(TagService, {
        listTags: () => ({ tags: [...tags.values()] }),
        createTag(req) {
          const name = req.tag?.name ?? "";
          if (taken(name)) throw new ConnectError(`a tag named "${name}" already exists`, Code.AlreadyExists);
          const tag = create(TagSchema, { id: `n${tags.size}`, name, color: "#22c55e" });
          tags.set(tag.id, tag);
          return { tag };
        },
        updateTag(req) {
          updates.push(req);
          const cur = tags.get(req.tag?.id ?? "");
          if (!cur) throw new ConnectError("not found", Code.NotFound);
          const paths = req.updateMask?.paths ?? [];
          if (paths.includes("name") && taken(req.tag?.name ?? "", cur.id))
            throw new ConnectError("exists", Code.AlreadyExists);
          const next = create(TagSchema, {
            ...cur,
            name: paths.includes("name") ? (req.tag?.name ?? "") : cur.name,
            color: paths.includes("color") ? (req.tag?.color ?? "") : cur.color,
          });
          tags.set(next.id, next);
          return { tag: next };
        },
        deleteTag(req) {
          deleted.push(req.id);
          tags.delete(req.id);
          return {};
        },
      }),
  );
  return { tags, updates, deleted };
}

const rows = () => within(screen.getByRole("list", { name: "Your tags" })).getAllByRole("listitem");

describe("TagsPage", () => {
  it("lists tags by name with colour swatches and task counts", async () => {
    setup();
    await screen.findByRole("list", { name: "Your tags" });
    expect(rows().map((r) => r.querySelector(".tp-name")?.textContent)).toEqual(["home", "someday", "work"]);
    expect(rows()[0]?.textContent).toContain("1 open task");
    expect(rows()[2]?.textContent).toContain("7 open tasks");
    const swatch = screen.getByRole("button", { name: "Colour of work: #3b82f6. Change colour" });
    expect(swatch.getAttribute("style")).toContain("#3b82f6");
  });

  it("renames inline: Enter saves with a name mask, Escape cancels", async () => {
    const { updates } = setup();
    fireEvent.click(await screen.findByRole("button", { name: "Rename home" }));
    const box = screen.getByRole("textbox", { name: "New name for home" });
    fireEvent.input(box, { target: { value: "house" } });
    fireEvent.keyDown(box, { key: "Escape" });
    expect(screen.queryByRole("textbox", { name: "New name for home" })).toBeNull();
    expect(updates).toHaveLength(0);

    fireEvent.click(screen.getByRole("button", { name: "Rename home" }));
    const again = screen.getByRole("textbox", { name: "New name for home" }) as HTMLInputElement;
    again.value = "house";
    fireEvent.keyDown(again, { key: "Enter" });
    fireEvent.blur(again);
    await waitFor(() => expect(updates).toHaveLength(1));
    expect(updates[0]?.updateMask?.paths).toEqual(["name"]);
    expect(updates[0]?.tag?.name).toBe("house");
    await screen.findByText("house");
  });

  it("a name in use is rolled back with a readable ALREADY_EXISTS message", async () => {
    setup();
    fireEvent.click(await screen.findByRole("button", { name: "Rename home" }));
    const box = screen.getByRole("textbox", { name: "New name for home" }) as HTMLInputElement;
    box.value = "Work";
    fireEvent.blur(box);
    expect(await screen.findByText("A tag named “Work” already exists. Pick another name.")).toBeTruthy();
    expect(rows().map((r) => r.querySelector(".tp-name")?.textContent)).toContain("home");
  });

  it("recolours from the palette or a custom colour", async () => {
    const { updates } = setup();
    fireEvent.click(await screen.findByRole("button", { name: /Colour of home/ }));
    fireEvent.click(screen.getByRole("button", { name: "Use colour #8b5cf6" }));
    await waitFor(() => expect(updates).toHaveLength(1));
    expect(updates[0]?.updateMask?.paths).toEqual(["color"]);
    expect(updates[0]?.tag?.color).toBe("#8b5cf6");
    const custom = screen.getByLabelText("Custom colour");
    fireEvent.change(custom, { target: { value: "#123456" } });
    await waitFor(() => expect(updates).toHaveLength(2));
    expect(updates[1]?.tag?.color).toBe("#123456");
    expect(screen.getByRole("button", { name: /Colour of home: #123456/ })).toBeTruthy();
  });

  it("deletes after a confirmation that says how many tasks carry the tag", async () => {
    const { deleted } = setup();
    fireEvent.click(await screen.findByRole("button", { name: "Delete work" }));
    const confirm = screen.getByRole("alertdialog");
    expect(confirm.textContent).toContain("removed from 7 open tasks");
    fireEvent.click(within(confirm).getByRole("button", { name: "Cancel" }));
    expect(deleted).toHaveLength(0);
    fireEvent.click(screen.getByRole("button", { name: "Delete work" }));
    fireEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete tag" }));
    await waitFor(() => expect(deleted).toEqual(["a"]));
    expect(rows().map((r) => r.querySelector(".tp-name")?.textContent)).toEqual(["home", "someday"]);
  });

  it("creates a tag, and says so readably when the name exists", async () => {
    setup();
    await screen.findByRole("list", { name: "Your tags" });
    const name = screen.getByLabelText("New tag");
    fireEvent.input(name, { target: { value: "HOME" } });
    fireEvent.click(screen.getByRole("button", { name: "Create tag" }));
    expect(await screen.findByText("A tag named “HOME” already exists. Pick another name.")).toBeTruthy();
    fireEvent.input(name, { target: { value: "errands" } });
    fireEvent.click(screen.getByRole("button", { name: "Create tag" }));
    await waitFor(() =>
      expect(rows().map((r) => r.querySelector(".tp-name")?.textContent)).toContain("errands"),
    );
    expect((name as HTMLInputElement).value).toBe("");
  });
});
