import { expect, test } from "bun:test";
import { AUTH_PUBLIC_METHODS } from "./public-methods";

test("only signing up and signing in need no token", () => {
  expect(AUTH_PUBLIC_METHODS).toEqual([
    "todo.identity.v1.AuthService.SignUp",
    "todo.identity.v1.AuthService.SignIn",
  ]);
});
