/** Request validation for AuthService (run by the platform's validation interceptor). */
import type { Message } from "@bufbuild/protobuf";
import type { SignUpRequest, UpdateUserRequest } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { canonicalTimeZone, type FieldViolation, type ServiceValidators } from "@todo/platform";
import { passwordProblem } from "./password-policy";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function signUp(message: Message): FieldViolation[] {
  const req = message as SignUpRequest;
  const out: FieldViolation[] = [];
  const email = req.email.trim();
  if (email.length > 254 || !EMAIL.test(email)) {
    out.push({ field: "email", description: "must be an e-mail address such as ada@example.com" });
  }
  const weak = passwordProblem(req.password, email);
  if (weak) out.push({ field: "password", description: weak });
  if ([...req.displayName.trim()].length > 100) {
    out.push({ field: "display_name", description: "must be at most 100 characters" });
  }
  const tz = req.timeZone.trim();
  if (tz !== "" && !canonicalTimeZone(tz)) out.push(unknownZone("time_zone", tz));
  return out;
}

function unknownZone(field: string, tz: string): FieldViolation {
  return { field, description: `unknown IANA time zone ${JSON.stringify(tz)}; try "Europe/Berlin"` };
}

/** The profile fields UpdateUser may change, as `update_mask` paths. */
export const UPDATABLE_USER_FIELDS = ["display_name", "time_zone", "week_start"] as const;

function updateUser(message: Message): FieldViolation[] {
  const req = message as UpdateUserRequest;
  const paths = req.updateMask?.paths ?? [];
  if (paths.length === 0) {
    return [
      { field: "update_mask", description: `name the fields to change: ${UPDATABLE_USER_FIELDS.join(", ")}` },
    ];
  }
  const unknown = paths.filter((p) => !(UPDATABLE_USER_FIELDS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    return [
      {
        field: "update_mask",
        description: `cannot update ${unknown.map((p) => JSON.stringify(p)).join(", ")}; updatable fields are ${UPDATABLE_USER_FIELDS.join(", ")}`,
      },
    ];
  }
  const out: FieldViolation[] = [];
  const user = req.user;
  if (!user)
    return [{ field: "user", description: "is required: the new values of the fields in update_mask" }];
  if (paths.includes("display_name")) {
    const name = user.displayName.trim();
    if (name === "") out.push({ field: "user.display_name", description: "must not be empty" });
    else if ([...name].length > 100)
      out.push({ field: "user.display_name", description: "must be at most 100 characters" });
  }
  if (paths.includes("time_zone")) {
    const tz = user.timeZone.trim();
    if (!canonicalTimeZone(tz)) out.push(unknownZone("user.time_zone", tz));
  }
  if (paths.includes("week_start") && !(user.weekStart >= 1 && user.weekStart <= 7)) {
    out.push({
      field: "user.week_start",
      description: `must be an ISO weekday from 1 (Monday) to 7 (Sunday), not ${user.weekStart}`,
    });
  }
  return out;
}

/** The AuthService validators, by method. */
export const authValidators: ServiceValidators = { SignUp: signUp, UpdateUser: updateUser };
