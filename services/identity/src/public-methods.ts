/**
 * The AuthService methods callable without a token — signing up and signing in — by full name, for
 * the servers that serve AuthService (its own process and `bun start`).
 */
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";

/** `todo.identity.v1.AuthService.SignUp` and `.SignIn`. */
export const AUTH_PUBLIC_METHODS: readonly string[] = [
  AuthService.method.signUp,
  AuthService.method.signIn,
].map((method) => `${AuthService.typeName}.${method.name}`);
