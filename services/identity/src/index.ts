/** The identity service: accounts, sessions and access tokens. */
export { createAuthService, createIdentitySessionCheck, type IdentityServiceDeps } from "./identity-service";
export { COMMON_PASSWORDS, passwordProblem } from "./password-policy";
export { AUTH_PUBLIC_METHODS } from "./public-methods";
export {
  createRateLimiter,
  type RateLimiter,
  type RateLimitSettings,
  rateLimitSettingsFromEnv,
} from "./rate-limit";
export { createIdentityStore, type IdentityStore, migrateIdentity } from "./store";
export { authValidators } from "./validation";
