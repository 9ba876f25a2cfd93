/** Request validation for AuthService (run by the platform's validation interceptor). */
import type { Message } from "@bufbuild/protobuf";
import type { SignUpRequest } from "@todo/gen/todo/identity/v1/auth_service_pb";
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
  if (tz !== "" && !canonicalTimeZone(tz)) {
    out.push({
      field: "time_zone",
      description: `unknown IANA time zone ${JSON.stringify(tz)}; try "Europe/Berlin"`,
    });
  }
  return out;
}

/** The AuthService validators, by method. */
export const authValidators: ServiceValidators = { SignUp: signUp };
