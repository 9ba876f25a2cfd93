/**
 * The Settings page saves the time zone and week start with AuthService.UpdateUser (the mask names
 * both fields), switches to the token the server answers with, and shows a refused field's message
 * under that field.
 */

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { MemoryRouter, Route } from "@solidjs/router";
import { cleanup, fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { BadRequestSchema } from "@todo/gen/google/rpc/error_details_pb";
import { AuthService, type UpdateUserRequest } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { afterEach, describe, expect, it } from "vitest";
import { SESSION_KEY, SessionProvider } from "../api/session";
import { SettingsPage } from "./Settings";

afterEach(cleanup);

const USER = { id: "u1", email: "a@example.com", displayName: "a", timeZone: "Europe/Berlin" };

function mount(answer: (req: UpdateUserRequest) => void) {
  const storage = window.localStorage;
  storage.clear();
  storage.setItem(SESSION_KEY, JSON.stringify({ token: "old-token", user: USER }));
  const seen: UpdateUserRequest[] = [];
  render(() => (
    <SessionProvider
      storage={storage}
      skipValidation
      createTransport={() =>
        createRouterTransport((router) => {
          router.service(AuthService, {
            updateUser(req) {
              seen.push(req);
              answer(req);
              return {
                accessToken: "new-token",
                user: { ...USER, timeZone: req.user?.timeZone ?? "", weekStart: req.user?.weekStart ?? 0 },
              };
            },
          });
        })
      }
    >
      <MemoryRouter>
        <Route path="/" component={SettingsPage} />
      </MemoryRouter>
    </SessionProvider>
  ));
  return { seen, storage };
}

describe("Settings", () => {
  it("shows the account's values (Monday for a session stored before week starts existed)", () => {
    mount(() => {});
    expect((screen.getByLabelText("Time zone") as HTMLInputElement).value).toBe("Europe/Berlin");
    expect((screen.getByLabelText("Week starts on") as HTMLSelectElement).value).toBe("1");
  });

  it("saves both fields with one UpdateUser and keeps the fresh token", async () => {
    const { seen, storage } = mount(() => {});
    fireEvent.change(screen.getByLabelText("Week starts on"), { target: { value: "7" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(seen.length).toBe(1));
    expect(seen[0]?.updateMask?.paths).toEqual(["time_zone", "week_start"]);
    expect(seen[0]?.user).toMatchObject({ timeZone: "Europe/Berlin", weekStart: 7 });
    await waitFor(() => expect(JSON.parse(storage.getItem(SESSION_KEY) ?? "{}").token).toBe("new-token"));
    expect(JSON.parse(storage.getItem(SESSION_KEY) ?? "{}").user.weekStart).toBe(7);
  });

  it("shows a refused week start under its field", async () => {
    mount(() => {
      throw new ConnectError("invalid", Code.InvalidArgument, undefined, [
        {
          desc: BadRequestSchema,
          value: create(BadRequestSchema, {
            fieldViolations: [
              { field: "user.week_start", description: "must be an ISO weekday from 1 to 7" },
            ],
          }),
        },
      ]);
    });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Must be an ISO weekday from 1 to 7");
  });
});
